// GraphiQL as ribjournal's own page: a default query and example tabs for what people come for (the
// global RIB, a VRF's RIB at a past point, a prefix's history, live route changes) instead of the
// library's boilerplate. Served offline by @graphql-yoga/render-graphiql (yoga.ts).
import type { GraphiQLOptions } from 'graphql-yoga';

const GLOBAL_RIB = `# ribjournal: connected routes of Linux interfaces, journaled per VRF.
# Tabs above: the global RIB, a VRF's RIB as it was, a prefix's history, live route changes.
# Ctrl-Enter runs a query; Ctrl-Space completes; the Docs button lists every field.
query GlobalRib {
  rib(vrf: "global", first: 100) {
    seq
    time
    totalCount
    nodes { prefix address interface discovered best }
  }
}
`;

const VRF_RIB = `# A VRF's RIB as it was 30 seconds ago ("at" also takes a seq or an RFC 3339 time).
query VrfRib {
  vrfs { name rd routeCounts { ipv4 ipv6 } }
  vrf(name: "customer-a", at: "-30s") {
    name rd exportRts
    rib(first: 100) { seq time nodes { nlri address interface discovered } }
  }
}
`;

const HISTORY = `# Every event of one prefix, why it vanished, and how often it flapped.
query PrefixHistory {
  history(vrf: "global", prefix: "192.0.2.0/24") {
    flapCount
    lastChange
    entries { seq time type interface address reason }
  }
}
`;

const SUBSCRIPTION = `# Live route changes (after: replay from that seq first, then follow; nothing is missed).
subscription RouteChanges {
  routeChanges(after: 0) {
    throughSeq
    changes { seq time type vrf reason path { prefix address interface } }
  }
}
`;

/**
 * The GraphiQL page's options: title and the example tabs, the first of which is the default query (a
 * `defaultQuery` as well would open a fifth, empty tab).
 */
export const GRAPHIQL_OPTIONS: GraphiQLOptions = {
  title: 'ribjournal',
  subscriptionsProtocol: 'WS',
  defaultTabs: [GLOBAL_RIB, VRF_RIB, HISTORY, SUBSCRIPTION].map((query) => ({ query })),
};
