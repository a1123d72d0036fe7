// Imports every schema file (each defines a type and the queries returning it) and builds the schema.
import type { GraphQLSchema } from 'graphql';
import { builder } from '../builder.js';
import './scalars.js';
import './path.js';
import './vrf.js';
import './history.js';
import './diff.js';
import './journal.js';
import './route-changes.js';
import './admin.js';
import './neighbor.js';
import './bgp-global.js';
import './route-counts.js';

builder.queryType({
  description: 'VRFs, RIBs (now or at any point in history), prefix history, diffs and the journal.',
});

let schema: GraphQLSchema | undefined;

/** The GraphQL schema (built once). */
export function toSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: true });
  return schema;
}
