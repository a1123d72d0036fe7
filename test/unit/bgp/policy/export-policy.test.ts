// GoBGP's export policy evaluation: statement order, dispositions ending the evaluation, actions of
// statements without one carrying on, match-set-options, neighbor-sets per peer, the default policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../../src/config/index.js';
import { exportPolicyFor } from '../../../../src/bgp/policy/index.js';
import type { ExportPolicy } from '../../../../src/projections/bgp-outbound/index.js';

function policyFor(body: string, neighbor = '192.0.2.2', peerAs = 65002): ExportPolicy | undefined {
  const { config } = parseConfig(`
[global.config]
as = 65001
router-id = "192.0.2.1"
[[neighbors]]
[neighbors.config]
neighbor-address = "${neighbor}"
peer-as = ${peerAs}
${body}`);
  return exportPolicyFor(config.policy, config.global!, config.neighbors[0]!);
}

const SETS = `
[[defined-sets.prefix-sets]]
prefix-set-name = "lb"
[[defined-sets.prefix-sets.prefix-list]]
ip-prefix = "192.0.2.0/24"
masklength-range = "30..32"
[[defined-sets.prefix-sets.prefix-list]]
ip-prefix = "2001:db8::/32"
masklength-range = "48..64"
[[defined-sets.neighbor-sets]]
neighbor-set-name = "ns"
neighbor-info-list = ["198.51.100.0/24"]
[[defined-sets.bgp-defined-sets.community-sets]]
community-set-name = "tagged"
community-list = ["65001:1.*"]
`;

test('no apply-policy: no policy at all', () => {
  assert.equal(policyFor(SETS), undefined);
});

test('statements in order: actions accumulate until a disposition; community conditions see them', () => {
  const p = policyFor(`${SETS}
[global.apply-policy.config]
export-policy-list = ["p"]
default-export-policy = "reject-route"
[[policy-definitions]]
name = "p"
[[policy-definitions.statements]]
name = "tag"
[policy-definitions.statements.conditions.match-prefix-set]
prefix-set = "lb"
[policy-definitions.statements.actions.bgp-actions]
set-med = "10"
[policy-definitions.statements.actions.bgp-actions.set-community]
options = "add"
[policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]
communities-list = ["65001:100"]
[[policy-definitions.statements]]
name = "accept-tagged"
[policy-definitions.statements.conditions.bgp-conditions.match-community-set]
community-set = "tagged"
[policy-definitions.statements.actions]
route-disposition = "accept-route"
[policy-definitions.statements.actions.bgp-actions]
set-med = "+5"
[policy-definitions.statements.actions.bgp-actions.set-as-path-prepend]
as = "last-as"
repeat-n = 2
`)!;
  const a = p.evaluate('192.0.2.10/32');
  assert.ok(a.accepted);
  assert.equal(a.statement, 'p/accept-tagged');
  assert.deepEqual(a.attributes.communities, [65001 * 65536 + 100]);
  assert.equal(a.attributes.med, 15);
  assert.deepEqual(a.attributes.asPathPrepend, [65001, 65001], 'last-as toward eBGP is our AS');
  assert.equal(p.evaluate('192.0.2.20/32').accepted, true);
  const b = p.evaluate('192.0.2.20/32');
  assert.ok(b.accepted);
  assert.equal(b.attributes, a.attributes, 'one interned attribute set');
  assert.deepEqual(
    p.evaluate('192.0.2.0/24'),
    { accepted: false, statement: 'default-export-policy' },
    'length outside 30..32',
  );
  assert.equal(p.evaluate('2001:db8:1::/48').accepted, true);
  assert.equal(p.evaluate('2001:db8:1::/65').accepted, false);
  assert.equal(p.evaluate('10.0.0.0/8').accepted, false);
});

test('equal results are one interned attribute set', () => {
  const p = policyFor(`${SETS}
[global.apply-policy.config]
export-policy-list = ["p"]
[[policy-definitions]]
name = "p"
[[policy-definitions.statements]]
[policy-definitions.statements.actions.bgp-actions.set-large-community]
options = "add"
[policy-definitions.statements.actions.bgp-actions.set-large-community.set-large-community-method]
communities-list = ["1:2:3"]
`)!;
  const a = p.evaluate('10.0.0.0/8');
  const b = p.evaluate('10.1.0.0/16');
  assert.ok(a.accepted && b.accepted);
  assert.equal(a.attributes, b.attributes);
});

test('neighbor-sets choose peers; invert; a reject ends the evaluation; the neighbor apply-policy wins', () => {
  const body = (n: string) => `${SETS}
[global.apply-policy.config]
export-policy-list = ["p"]
[[policy-definitions]]
name = "p"
[[policy-definitions.statements]]
name = "only-ns"
[policy-definitions.statements.conditions.match-neighbor-set]
neighbor-set = "ns"
match-set-options = "${n}"
[policy-definitions.statements.actions]
route-disposition = "reject-route"
`;
  assert.equal(policyFor(body('any'), '198.51.100.7')!.evaluate('10.0.0.0/8').accepted, false);
  assert.equal(policyFor(body('any'), '192.0.2.2')!.evaluate('10.0.0.0/8').accepted, true);
  assert.equal(policyFor(body('invert'), '192.0.2.2')!.evaluate('10.0.0.0/8').accepted, false);
  const own = policyFor(
    `${body('any')}
[neighbors.apply-policy.config]
default-export-policy = "accept-route"
`,
    '198.51.100.7',
  );
  // The neighbor's own (empty) list replaces the global one: nothing rejects.
  assert.equal(own?.evaluate('10.0.0.0/8').accepted, true);
});
