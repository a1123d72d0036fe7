// Policy and peer-group config in GoBGP's syntax: what is read, and malformed policies rejected with
// key path and line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/index.js';
import { assertProblem, problemsOf, toml } from './helpers.js';

const HEAD = ['[global.config]', 'as = 65000', 'router-id = "192.0.2.1"'];

void describe('policy config', () => {
  void it('reads sets, statements, actions and apply-policy', () => {
    const { config, warnings } = parseConfig(
      toml(
        ...HEAD,
        '[global.apply-policy.config]',
        'export-policy-list = ["p"]',
        'default-export-policy = "reject-route"',
        '[[defined-sets.prefix-sets]]',
        'prefix-set-name = "ps"',
        '[[defined-sets.prefix-sets.prefix-list]]',
        'ip-prefix = "10.0.0.0/8"',
        'masklength-range = "16..24"',
        '[[defined-sets.bgp-defined-sets.community-sets]]',
        'community-set-name = "cs"',
        'community-list = ["65000:1", "no-export", "6[0-9]+:.*"]',
        '[[policy-definitions]]',
        'name = "p"',
        '[[policy-definitions.statements]]',
        'name = "s"',
        '[policy-definitions.statements.conditions.match-prefix-set]',
        'prefix-set = "ps"',
        'match-set-options = "invert"',
        '[policy-definitions.statements.conditions.bgp-conditions.match-community-set]',
        'community-set = "cs"',
        'match-set-options = "all"',
        '[policy-definitions.statements.actions]',
        'route-disposition = "accept-route"',
        '[policy-definitions.statements.actions.bgp-actions]',
        'set-med = "-5"',
        '[policy-definitions.statements.actions.bgp-actions.set-community]',
        'options = "REPLACE"',
        '[policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]',
        'communities-list = ["no-advertise"]',
      ),
    );
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.global?.exportPolicy, { exportPolicies: ['p'], defaultExport: 'reject' });
    assert.deepEqual(config.policy.prefixSets, [
      { name: 'ps', prefixes: [{ prefix: '10.0.0.0/8', minLength: 16, maxLength: 24 }] },
    ]);
    assert.deepEqual(config.policy.communitySets, [
      { name: 'cs', communities: [65000 * 65536 + 1, 0xffffff01], patterns: ['6[0-9]+:.*'] },
    ]);
    const s = config.policy.definitions[0]!.statements[0]!;
    assert.deepEqual(s.conditions, {
      prefixSet: { name: 'ps', option: 'invert' },
      communitySet: { name: 'cs', option: 'all' },
    });
    assert.deepEqual(s.actions, {
      disposition: 'accept',
      community: { option: 'replace', communities: [0xffffff02] },
      med: { op: 'subtract', value: 5 },
    });
  });

  void it('rejects unknown names, bad prefixes, ranges and communities with key path and line', () => {
    const { problems } = problemsOf(
      toml(
        ...HEAD, //                                                              1-3
        '[global.apply-policy.config]', //                                       4
        'export-policy-list = ["nope"]', //                                      5
        '[[defined-sets.prefix-sets]]', //                                       6
        'prefix-set-name = "ps"', //                                             7
        '[[defined-sets.prefix-sets.prefix-list]]', //                           8
        'ip-prefix = "10.0.0.0/33"', //                                          9
        '[[defined-sets.prefix-sets.prefix-list]]', //                           10
        'ip-prefix = "10.0.0.0/16"', //                                          11
        'masklength-range = "8..24"', //                                         12
        '[[policy-definitions]]', //                                             13
        'name = "p"', //                                                         14
        '[[policy-definitions.statements]]', //                                  15
        '[policy-definitions.statements.conditions.match-prefix-set]', //        16
        'prefix-set = "missing"', //                                             17
        '[policy-definitions.statements.actions]', //                            18
        'route-disposition = "drop"', //                                         19
        '[policy-definitions.statements.actions.bgp-actions]', //               20
        'set-med = "lots"', //                                                   21
        '[policy-definitions.statements.actions.bgp-actions.set-community]', //  22
        'options = "merge"', //                                                  23
        '[policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]', // 24
        'communities-list = ["65536:1"]', //                                     25
      ),
    );
    assertProblem(problems, 'global.apply-policy.config.export-policy-list[0]', 5, /unknown policy "nope"/);
    assertProblem(
      problems,
      'defined-sets.prefix-sets[0].prefix-list[0].ip-prefix',
      9,
      /not an IPv4 or IPv6 prefix/,
    );
    assertProblem(problems, 'defined-sets.prefix-sets[0].prefix-list[1].masklength-range', 12, /16 <= MIN/);
    assertProblem(
      problems,
      'policy-definitions[0].statements[0].conditions.match-prefix-set.prefix-set',
      17,
      /unknown prefix-set "missing" \(defined: ps\)/,
    );
    assertProblem(
      problems,
      'policy-definitions[0].statements[0].actions.route-disposition',
      19,
      /accept-route/,
    );
    assertProblem(
      problems,
      'policy-definitions[0].statements[0].actions.bgp-actions.set-med',
      21,
      /not a MED/,
    );
    assertProblem(
      problems,
      'policy-definitions[0].statements[0].actions.bgp-actions.set-community.options',
      23,
      /add, replace, remove/,
    );
    assertProblem(
      problems,
      'policy-definitions[0].statements[0].actions.bgp-actions.set-community.set-community-method.communities-list[0]',
      25,
      /not a community/,
    );
  });

  void it('rejects a condition ribjournal cannot evaluate rather than widening the statement', () => {
    const { problems } = problemsOf(
      toml(
        ...HEAD,
        '[[policy-definitions]]',
        'name = "p"',
        '[[policy-definitions.statements]]',
        '[policy-definitions.statements.conditions.bgp-conditions.match-as-path-set]',
        'as-path-set = "x"',
      ),
    );
    assertProblem(
      problems,
      'policy-definitions[0].statements[0].conditions.bgp-conditions.match-as-path-set',
      7,
      /not supported/,
    );
  });
});

void describe('peer groups', () => {
  const group = [
    '[[peer-groups]]', //                 4
    '[peer-groups.config]', //            5
    'peer-group-name = "g"', //           6
    'peer-as = 65010', //                 7
    '[peer-groups.timers.config]', //     8
    'hold-time = 30', //                  9
    '[peer-groups.apply-policy.config]', // 10
    'default-export-policy = "reject-route"', // 11
    '[[peer-groups.afi-safis]]', //       12
    '[peer-groups.afi-safis.config]', //  13
    'afi-safi-name = "l3vpn-ipv4-unicast"', // 14
  ];
  void it('members inherit every key they do not write; their own keys win', () => {
    const { config } = parseConfig(
      toml(
        ...HEAD,
        ...group,
        '[[neighbors]]',
        '[neighbors.config]',
        'neighbor-address = "192.0.2.2"',
        'peer-group = "g"',
        '[[neighbors]]',
        '[neighbors.config]',
        'neighbor-address = "192.0.2.3"',
        'peer-group = "g"',
        'peer-as = 65020',
        '[neighbors.timers.config]',
        'keepalive-interval = 5',
      ),
    );
    const [a, b] = config.neighbors;
    assert.equal(a?.peerAs, 65010);
    assert.equal(a?.holdTime, 30);
    assert.deepEqual(a?.families, ['l3vpn-ipv4-unicast']);
    assert.deepEqual(a?.exportPolicy, { exportPolicies: [], defaultExport: 'reject' });
    assert.equal(a?.peerGroup, 'g');
    assert.equal(b?.peerAs, 65020);
    assert.equal(b?.holdTime, 30);
    assert.equal(b?.keepaliveInterval, 5);
  });

  void it('an unknown group is an error at the peer-group key; a bad inherited value points at the group', () => {
    const { problems } = problemsOf(
      toml(
        ...HEAD,
        ...group.map((l) => (l === 'hold-time = 30' ? 'hold-time = 1' : l)),
        '[[neighbors]]', //                   15
        '[neighbors.config]', //              16
        'neighbor-address = "192.0.2.2"', //  17
        'peer-group = "h"', //                18
        '[[neighbors]]', //                   19
        '[neighbors.config]', //              20
        'neighbor-address = "192.0.2.3"', //  21
        'peer-group = "g"', //                22
      ),
    );
    assertProblem(problems, 'neighbors[0].config.peer-group', 18, /unknown peer group "h" \(defined: g\)/);
    assertProblem(problems, 'neighbors[1].timers.config.hold-time', 9, /./);
  });
});
