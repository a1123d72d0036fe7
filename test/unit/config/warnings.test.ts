// Unknown keys, GoBGP keys we do not use and overlapping interface lists are warnings, never failures.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accepts, assertWarning, problemsOf, toml } from './helpers.js';

void describe('unknown keys', () => {
  void it('are warnings with path and line, with a suggestion for a near miss', () => {
    const { config, warnings } = accepts(
      toml(
        'colour = "blue"', //                       1
        '[netlink]', //                              2
        'scan_interval = 2', //                      3
        '[netlink.import]', //                       4
        'enabled = true', //                         5
        'interfaces-list = ["eth9"]', //             6
        'interface-list = ["eth0"]', //              7
        '[[vrfs]]', //                               8
        '[vrfs.config]', //                          9
        'name = "a"', //                             10
        'rd = "1:1"', //                             11
        'descr = "x"', //                            12
        '[vrfs.extra]', //                           13
        'x = 1', //                                  14
        '[mystery]', //                              15
      ),
    );
    assert.equal(config.netlink.scanIntervalMs, 5000, 'a misspelt key does not count');
    assert.deepEqual(config.netlink.import.interfaces, ['eth0']);
    assert.equal(warnings.length, 6);
    assertWarning(warnings, 'colour', 1, /^unknown key, ignored$/);
    assertWarning(
      warnings,
      'netlink.scan_interval',
      3,
      /unknown key, ignored \(did you mean "scan-interval"\?\)/,
    );
    assertWarning(warnings, 'netlink.import.interfaces-list', 6, /did you mean "interface-list"/);
    assertWarning(warnings, 'vrfs[0].config.descr', 12, /unknown key/);
    assertWarning(warnings, 'vrfs[0].extra', 13, /unknown key/);
    assertWarning(warnings, 'mystery', 15, /unknown key/);
  });

  void it('an invalid config still carries its warnings in the error details', () => {
    const { warnings, problems } = problemsOf(toml('[netlink]', 'scan-interval = 0', 'foo = 1'));
    assert.equal(problems.length, 1);
    assertWarning(warnings, 'netlink.foo', 3, /unknown key/);
  });
});

void describe('GoBGP keys ribjournal does not use', () => {
  void it('are warnings worded "ignored"', () => {
    const { warnings } = accepts(
      toml(
        '[global.config]', //                          1
        'as = 65000', //                               2
        'router-id = "192.0.2.1"', //                  3
        '[global.apply-policy.config]', //             4
        'default-import-policy = "accept-route"', //   5
        '[zebra.config]', //                           6
        'enabled = true', //                           7
        '[[defined-sets.prefix-sets]]', //             8
        'prefix-set-name = "ps1"', //                  9
        '[[policy-definitions]]', //                   10
        'name = "p1"', //                              11
        '[[neighbors]]', //                            12
        '[neighbors.config]', //                       13
        'neighbor-address = "192.0.2.2"', //           14
        'peer-as = 65001', //                          15
        'description = "upstream"', //                 16
        '[neighbors.route-reflector.config]', //       17
        'route-reflector-client = true', //            18
        '[neighbors.timers.config]', //                19
        'minimum-advertisement-interval = 0', //       20
      ),
    );
    assert.equal(warnings.length, 5);
    for (const w of warnings) assert.match(w.message, /^ignored: /);
    assert.deepEqual(
      warnings.map((w) => [w.line, w.path]),
      [
        [5, 'global.apply-policy.config.default-import-policy'],
        [6, 'zebra'],
        [16, 'neighbors[0].config.description'],
        [17, 'neighbors[0].route-reflector'],
        [20, 'neighbors[0].timers.config.minimum-advertisement-interval'],
      ],
    );
  });
});

void describe('interfaces in several sections', () => {
  const vrf = (name: string, rd: string, list: string) => [
    '[[vrfs]]',
    '[vrfs.config]',
    `name = "${name}"`,
    `rd = "${rd}"`,
    '[vrfs.netlink-import]',
    'enabled = true',
    `interface-list = ${list}`,
  ];

  void it('an interface named for several VRFs is imported into each, with one warning', () => {
    const { config, warnings } = accepts(
      toml(
        ...vrf('a', '1:1', '["eth1", "eth2"]'),
        ...vrf('b', '1:2', '["eth1"]'),
        ...vrf('c', '1:3', '["eth1"]'),
      ),
    );
    assert.deepEqual(
      config.vrfs.map((v) => v.netlinkImport.interfaces),
      [['eth1', 'eth2'], ['eth1'], ['eth1']],
    );
    assert.equal(warnings.length, 1);
    assertWarning(
      warnings,
      'vrfs[1].netlink-import.interface-list[0]',
      14,
      /"eth1" is listed for VRF "a", VRF "b", VRF "c": routes are imported into each/,
    );
  });

  void it('the global table counts as a section', () => {
    const { warnings } = accepts(
      toml('[netlink.import]', 'enabled = true', 'interface-list = ["eth1"]', ...vrf('a', '1:1', '["eth1"]')),
    );
    assertWarning(
      warnings,
      'vrfs[0].netlink-import.interface-list[0]',
      10,
      /listed for the global table, VRF "a"/,
    );
  });

  void it('an exact name beats a glob of another section: warned once, it goes where it is named', () => {
    const { warnings } = accepts(
      toml(
        '[netlink.import]',
        'enabled = true',
        'interface-list = ["eth*"]',
        ...vrf('a', '1:1', '["eth1", "kube0"]'),
      ),
    );
    assert.equal(warnings.length, 1);
    assertWarning(
      warnings,
      'vrfs[0].netlink-import.interface-list[0]',
      10,
      /"eth1" is named for VRF "a" and also matches "eth\*" \(netlink\.import, the global table\): it goes where it is named/,
    );
  });

  void it('disabled sections do not count', () => {
    const { warnings } = accepts(
      toml(
        '[netlink.import]',
        'enabled = false',
        'interface-list = ["eth1"]',
        ...vrf('a', '1:1', '["eth1"]'),
      ),
    );
    assert.deepEqual(warnings, []);
  });

  void it('a name twice in one list is kept once, with a warning', () => {
    const { config, warnings } = accepts(
      toml('[netlink.import]', 'enabled = true', 'interface-list = ["eth1", "eth1"]'),
    );
    assert.deepEqual(config.netlink.import.interfaces, ['eth1']);
    assertWarning(warnings, 'netlink.import.interface-list[1]', 3, /listed twice/);
  });

  void it('an interface-list without enabled imports nothing, and says so', () => {
    const { config, warnings } = accepts(toml('[netlink.import]', 'interface-list = ["eth1"]'));
    assert.equal(config.netlink.import.enabled, false);
    assertWarning(warnings, 'netlink.import', 1, /enabled is not.*nothing is imported/);
  });
});
