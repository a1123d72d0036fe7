// BgpGlobal: the speaker's identity (`[global.config]`), what `gobgp global` prints, and the `bgpGlobal`
// query that returns it (null when BGP is off).
import type { BgpIdentity } from '../context.js';
import { builder } from '../builder.js';

const BgpGlobalRef = builder.objectRef<BgpIdentity>('BgpGlobal').implement({
  description: 'The BGP speaker: AS, router ID, listening port and addresses (`[global.config]`).',
  fields: (t) => ({
    as: t.float({
      description: 'The local AS (a Float: 4-octet AS numbers do not fit Int).',
      resolve: (g) => g.as,
    }),
    routerId: t.exposeString('routerId'),
    listenPort: t.int({
      description: 'Negative: not listening (sessions only go out).',
      resolve: (g) => g.port,
    }),
    listenAddresses: t.stringList({ resolve: (g) => [...g.localAddresses] }),
  }),
});

builder.queryField('bgpGlobal', (t) =>
  t.field({
    type: BgpGlobalRef,
    nullable: true,
    description: 'The BGP speaker in force; null when BGP is off (no [global.config]).',
    resolve: (_root, _args, ctx) => ctx.api.bgp?.global?.() ?? null,
  }),
);
