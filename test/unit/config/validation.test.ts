// Each kind of bad config is rejected with a message that names the key path and the line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accepts, assertProblem, problemsOf, rejectsWith, toml } from './helpers.js';

const VRF_A = ['[[vrfs]]', '  [vrfs.config]', '    name = "a"', '    rd = "1:1"'];

void describe('TOML syntax', () => {
  void it('is reported as file:line:col', () => {
    const text = toml(
      '[netlink]',
      '  [netlink.import]',
      '    enabled = tru',
      '    interface-list = ["eth0"]',
    );
    const message = rejectsWith(text, '', 3, /TOML syntax error/);
    assert.match(message, /^test\.toml:3:\d+: TOML syntax error: /);
    assert.doesNotMatch(message, /\n/, 'one line per problem, no code excerpt in the message');
  });

  void it('a key defined twice is a syntax error with its line', () => {
    rejectsWith(toml('[netlink]', 'scan-interval = 5', 'scan-interval = 6'), '', 3, /TOML syntax error/);
  });
});

void describe('wrong types', () => {
  void it('a string where a list is expected', () => {
    const text = toml('[netlink.import]', 'enabled = true', 'interface-list = "eth0"');
    const message = rejectsWith(
      text,
      'netlink.import.interface-list',
      3,
      /expected a list of strings, got a string "eth0"/,
    );
    assert.equal(
      message,
      'test.toml:3: netlink.import.interface-list: expected a list of strings, got a string "eth0" (write ["eth0"])',
    );
  });

  void it('a quoted boolean and a number in a string list', () => {
    const { problems } = problemsOf(
      toml('[netlink.import]', 'enabled = "true"', 'interface-list = ["eth0", 7]'),
    );
    assertProblem(
      problems,
      'netlink.import.enabled',
      2,
      /expected a boolean.*got a string "true".*without quotes/,
    );
    assertProblem(problems, 'netlink.import.interface-list[1]', 3, /expected a string, got an integer 7/);
  });

  void it('a number written as a string', () => {
    rejectsWith(
      toml('[netlink]', 'scan-interval = "5"'),
      'netlink.scan-interval',
      2,
      /expected a number, got a string "5"/,
    );
    rejectsWith(
      toml('[global.config]', 'as = "65000"', 'router-id = "1.1.1.1"'),
      'global.config.as',
      2,
      /expected an integer/,
    );
  });

  void it('an RD that is not a string, with the array index in the path', () => {
    const text = toml(...VRF_A, '[[vrfs]]', '  [vrfs.config]', '    name = "b"', '    rd = 100');
    rejectsWith(text, 'vrfs[1].config.rd', 8, /expected a string, got an integer 100/);
  });

  void it('[vrfs] written as a table instead of [[vrfs]]', () => {
    rejectsWith(
      toml('[vrfs]', 'name = "a"'),
      'vrfs',
      1,
      /expected an array of tables \[\[vrfs\]\], got a table/,
    );
  });

  void it('a table expected, a value given', () => {
    rejectsWith(toml('netlink = 5'), 'netlink', 1, /expected a table \[netlink\], got an integer 5/);
  });
});

void describe('[[vrfs]]', () => {
  void it('accepts all three RD/RT forms and rejects bad ones at their list index', () => {
    const ok = accepts(
      toml(
        ...VRF_A.slice(0, 3),
        '    rd = "192.0.2.1:7"',
        '    import-rt-list = ["65000:1", "4200000000:2", "10.0.0.1:3"]',
      ),
    );
    assert.deepEqual(
      ok.config.vrfs[0]!.importRts.map((r) => [r.type, r.text]),
      [
        [0, '65000:1'],
        [2, '4200000000:2'],
        [1, '10.0.0.1:3'],
      ],
    );
    const { problems } = problemsOf(
      toml(
        ...VRF_A.slice(0, 3),
        '    rd = "64551"',
        '    import-rt-list = ["1:1", "4200000000:70000"]',
        '    export-rt-list = ["300.0.0.1:1"]',
      ),
    );
    assertProblem(problems, 'vrfs[0].config.rd', 4, /"64551" is not an RD\/RT/);
    assertProblem(problems, 'vrfs[0].config.import-rt-list[1]', 5, /4-byte AS the number must be 0\.\.65535/);
    assertProblem(problems, 'vrfs[0].config.export-rt-list[0]', 6, /not an IPv4 address/);
  });

  void it('both-rt-list fills import and export lists left empty (GoBGP semantics)', () => {
    const { config, warnings } = accepts(toml(...VRF_A, '    both-rt-list = ["1:9"]'));
    assert.deepEqual(
      config.vrfs[0]!.importRts.map((r) => r.text),
      ['1:9'],
    );
    assert.deepEqual(
      config.vrfs[0]!.exportRts.map((r) => r.text),
      ['1:9'],
    );
    assert.deepEqual(warnings, []);
  });

  void it('both-rt-list beside a set import-rt-list is used for export only, with a warning', () => {
    const { config, warnings } = accepts(
      toml(...VRF_A, '    import-rt-list = ["1:1"]', '    both-rt-list = ["1:9"]'),
    );
    assert.deepEqual(
      config.vrfs[0]!.importRts.map((r) => r.text),
      ['1:1'],
    );
    assert.deepEqual(
      config.vrfs[0]!.exportRts.map((r) => r.text),
      ['1:9'],
    );
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.path, 'vrfs[0].config.both-rt-list');
    assert.equal(warnings[0]!.line, 6);
  });

  void it('duplicate VRF names and duplicate RDs, pointing at the second and naming the first', () => {
    const text = toml(...VRF_A, '[[vrfs]]', '  [vrfs.config]', '    name = "a"', '    rd = "1:1"');
    const { problems } = problemsOf(text);
    assert.equal(problems.length, 2);
    assertProblem(
      problems,
      'vrfs[1].config.name',
      7,
      /duplicate VRF name "a" \(also at vrfs\[0\]\.config\.name\)/,
    );
    assertProblem(problems, 'vrfs[1].config.rd', 8, /duplicate RD 1:1: already used by VRF "a"/);
  });

  void it("a VRF's id is GoBGP's: read without a warning, unique when set, and a uint32", () => {
    const ok = accepts(
      toml(...VRF_A, '    id = 7', '[[vrfs]]', '  [vrfs.config]', '    name = "b"', '    rd = "1:2"'),
    );
    assert.deepEqual(
      ok.config.vrfs.map((v) => v.id),
      [7, 0],
    );
    assert.equal(ok.warnings.length, 0);
    const dup = toml(
      ...VRF_A,
      '    id = 7',
      '[[vrfs]]',
      '  [vrfs.config]',
      '    name = "b"',
      '    rd = "1:2"',
      '    id = 7',
    );
    assertProblem(
      problemsOf(dup).problems,
      'vrfs[1].config.id',
      10,
      /duplicate VRF id 7: already used by VRF "a"/,
    );
    rejectsWith(toml(...VRF_A, '    id = -1'), 'vrfs[0].config.id', 5, /0 \(none\) or 1\.\.4294967295/);
  });

  void it('"global" and empty names are refused; name and rd are required', () => {
    rejectsWith(
      toml('[[vrfs]]', '[vrfs.config]', 'name = "global"', 'rd = "1:1"'),
      'vrfs[0].config.name',
      3,
      /reserved/,
    );
    rejectsWith(
      toml('[[vrfs]]', '[vrfs.config]', 'name = ""', 'rd = "1:1"'),
      'vrfs[0].config.name',
      3,
      /cannot be empty/,
    );
    rejectsWith(toml('[[vrfs]]', '[vrfs.config]', 'rd = "1:1"'), 'vrfs[0].config', 2, /name is required/);
    rejectsWith(toml('[[vrfs]]', '[vrfs.config]', 'name = "a"'), 'vrfs[0].config', 2, /rd is required/);
    rejectsWith(
      toml('[[vrfs]]', '[vrfs.netlink-import]', 'enabled = false'),
      'vrfs[0]',
      1,
      /\[vrfs\.config\] is missing/,
    );
  });

  void it('label: 0 by default, 16..1048575 when set; reserved and too large refused', () => {
    assert.equal(accepts(toml(...VRF_A)).config.vrfs[0]!.label, 0);
    assert.equal(accepts(toml(...VRF_A, 'label = 16')).config.vrfs[0]!.label, 16);
    assert.equal(accepts(toml(...VRF_A, 'label = 1048575')).config.vrfs[0]!.label, 1048575);
    rejectsWith(toml(...VRF_A, 'label = 3'), 'vrfs[0].config.label', 5, /reserved/);
    rejectsWith(
      toml(...VRF_A, 'label = 1048576'),
      'vrfs[0].config.label',
      5,
      /out of range: expected 0 \(none\) or 16\.\.1048575/,
    );
    rejectsWith(
      toml(...VRF_A, 'label = 16.5'),
      'vrfs[0].config.label',
      5,
      /expected an integer, got a float/,
    );
  });

  void it('enabled netlink-import with an empty interface-list', () => {
    const text = toml(...VRF_A, '  [vrfs.netlink-import]', '    enabled = true', '    interface-list = []');
    rejectsWith(text, 'vrfs[0].netlink-import.interface-list', 7, /enabled but interface-list is empty/);
    rejectsWith(
      toml(...VRF_A, '  [vrfs.netlink-import]', '    enabled = true'),
      'vrfs[0].netlink-import',
      5,
      /interface-list is missing/,
    );
  });

  void it('invalid interface names and patterns, each at its line in a multi-line list', () => {
    const text = toml(
      ...VRF_A,
      '  [vrfs.netlink-import]',
      '    enabled = true',
      '    interface-list = [',
      '      "eth0",',
      '      "",',
      '      "eth0/1",',
      '      "eth 1",',
      '      "a-name-of-16-chr",',
      '    ]',
    );
    const { problems } = problemsOf(text);
    assert.equal(problems.length, 4);
    assertProblem(problems, 'vrfs[0].netlink-import.interface-list[1]', 9, /empty/);
    assertProblem(problems, 'vrfs[0].netlink-import.interface-list[2]', 10, /'\/'/);
    assertProblem(problems, 'vrfs[0].netlink-import.interface-list[3]', 11, /whitespace/);
    assertProblem(problems, 'vrfs[0].netlink-import.interface-list[4]', 12, /16 bytes long.*IFNAMSIZ/);
  });
});

void describe('[netlink]', () => {
  void it('scan-interval must be a positive number of seconds', () => {
    rejectsWith(
      toml('[netlink]', 'scan-interval = 0'),
      'netlink.scan-interval',
      2,
      /out of range: expected a positive number/,
    );
    rejectsWith(toml('[netlink]', 'scan-interval = -1'), 'netlink.scan-interval', 2, /out of range/);
    rejectsWith(toml('[netlink]', 'scan-interval = 3000000'), 'netlink.scan-interval', 2, /out of range/);
    assert.equal(accepts(toml('[netlink]', 'scan-interval = 0.5')).config.netlink.scanIntervalMs, 500);
    assert.equal(accepts(toml('[netlink]', 'scan-interval = 30')).config.netlink.scanIntervalMs, 30_000);
  });

  void it('linux-vrf is a boolean, false by default', () => {
    assert.equal(accepts('').config.netlink.linuxVrf, false);
    assert.equal(accepts(toml('[netlink]', 'linux-vrf = true')).config.netlink.linuxVrf, true);
    rejectsWith(toml('[netlink]', 'linux-vrf = 1'), 'netlink.linux-vrf', 2, /expected a boolean/);
  });

  void it('enabled import with an empty interface-list', () => {
    rejectsWith(
      toml('[netlink.import]', 'enabled = true', 'interface-list = []'),
      'netlink.import.interface-list',
      3,
      /empty/,
    );
  });

  void it('import.vrf must name a configured VRF, in string or table form', () => {
    const base = [...VRF_A, '[netlink.import]', 'enabled = true', 'interface-list = ["eth0"]'];
    assert.equal(accepts(toml(...base, 'vrf = "a"')).config.netlink.import.vrf, 'a');
    assert.equal(accepts(toml(...base, '[netlink.import.vrf]', 'name = "a"')).config.netlink.import.vrf, 'a');
    assert.equal(accepts(toml(...base, 'vrf = ""')).config.netlink.import.vrf, '');
    assert.equal(accepts(toml(...base, 'vrf = "global"')).config.netlink.import.vrf, '');
    rejectsWith(toml(...base, 'vrf = "b"'), 'netlink.import.vrf', 8, /unknown VRF "b" \(configured: a\)/);
    rejectsWith(
      toml(...base, '[netlink.import.vrf]', 'name = "b"'),
      'netlink.import.vrf.name',
      9,
      /unknown VRF "b"/,
    );
    rejectsWith(toml(...base, '[netlink.import.vrf]', 'nam = "a"'), 'netlink.import.vrf', 8, /needs name/);
    rejectsWith(toml(...base, 'vrf = 1'), 'netlink.import.vrf', 8, /expected a string/);
  });
});

void describe('[global.config]', () => {
  const G = ['[global.config]', 'as = 65000', 'router-id = "192.0.2.1"'];

  void it('defaults: port 179, GoBGP local addresses; port 0 means 179, negative means do not listen', () => {
    assert.deepEqual(accepts(toml(...G)).config.global, {
      as: 65000,
      routerId: '192.0.2.1',
      port: 179,
      localAddresses: ['0.0.0.0', '::'],
    });
    assert.equal(accepts(toml(...G, 'port = 0')).config.global?.port, 179);
    assert.equal(accepts(toml(...G, 'port = -1')).config.global?.port, -1);
    assert.equal(accepts(toml(...G, 'port = 10179')).config.global?.port, 10179);
    assert.deepEqual(
      accepts(toml(...G, 'local-address-list = ["10.0.0.1", "2001:DB8::1"]')).config.global?.localAddresses,
      ['10.0.0.1', '2001:db8::1'],
    );
    assert.equal(accepts('').config.global, undefined);
  });

  void it('as, router-id, port and local-address-list are checked', () => {
    rejectsWith(
      toml('[global.config]', 'as = 0', 'router-id = "1.1.1.1"'),
      'global.config.as',
      2,
      /1\.\.4294967295/,
    );
    rejectsWith(
      toml('[global.config]', 'as = 4294967296', 'router-id = "1.1.1.1"'),
      'global.config.as',
      2,
      /out of range/,
    );
    rejectsWith(
      toml('[global.config]', 'as = 1', 'router-id = "::1"'),
      'global.config.router-id',
      3,
      /not an IPv4 address/,
    );
    rejectsWith(toml(...G, 'port = 65536'), 'global.config.port', 4, /out of range/);
    rejectsWith(
      toml(...G, 'local-address-list = ["10.0.0.1", "nope"]'),
      'global.config.local-address-list[1]',
      4,
      /not an IPv4 or IPv6/,
    );
    const { problems } = problemsOf(toml('[global.config]', 'port = 179'));
    assertProblem(
      problems.filter((p) => /as is/.test(p.message)),
      'global.config',
      1,
      /as is required/,
    );
    assertProblem(
      problems.filter((p) => /router-id/.test(p.message)),
      'global.config',
      1,
      /router-id is required/,
    );
  });
});

void describe('[[neighbors]]', () => {
  const G = ['[global.config]', 'as = 65000', 'router-id = "192.0.2.1"'];
  const N = ['[[neighbors]]', '[neighbors.config]', 'neighbor-address = "192.0.2.2"', 'peer-as = 65001'];
  //          line 4          5                       6                                7

  void it('GoBGP defaults: port 179, timers 90/30/120, the unicast family of the address', () => {
    const n = accepts(toml(...G, ...N)).config.neighbors[0]!;
    assert.deepEqual(n, {
      address: '192.0.2.2',
      peerAs: 65001,
      localAs: undefined,
      passive: false,
      localAddress: undefined,
      remotePort: 179,
      holdTime: 90,
      keepaliveInterval: 30,
      connectRetry: 120,
      families: ['ipv4-unicast'],
    });
    const v6 = accepts(
      toml(...G, '[[neighbors]]', '[neighbors.config]', 'neighbor-address = "2001:DB8::2"', 'peer-as = 1'),
    );
    assert.equal(v6.config.neighbors[0]!.address, '2001:db8::2');
    assert.deepEqual(v6.config.neighbors[0]!.families, ['ipv6-unicast']);
  });

  void it('transport and timers are read; keepalive defaults to hold-time / 3', () => {
    const n = accepts(
      toml(
        ...G,
        ...N,
        'local-as = 65002',
        '[neighbors.transport.config]',
        'passive-mode = true',
        'local-address = "192.0.2.1"',
        'remote-port = 10179',
        '[neighbors.timers.config]',
        'hold-time = 9',
        'connect-retry = 5',
      ),
    ).config.neighbors[0]!;
    assert.equal(n.localAs, 65002);
    assert.equal(n.passive, true);
    assert.equal(n.localAddress, '192.0.2.1');
    assert.equal(n.remotePort, 10179);
    assert.deepEqual([n.holdTime, n.keepaliveInterval, n.connectRetry], [9, 3, 5]);
    const off = accepts(toml(...G, ...N, '[neighbors.timers.config]', 'hold-time = 0')).config.neighbors[0]!;
    assert.deepEqual([off.holdTime, off.keepaliveInterval], [0, 0]);
  });

  void it('neighbor fields are checked, each at its line', () => {
    rejectsWith(
      toml(...G, '[[neighbors]]', '[neighbors.config]', 'neighbor-address = "192.0.2.300"', 'peer-as = 1'),
      'neighbors[0].config.neighbor-address',
      6,
      /not an IPv4 or IPv6/,
    );
    rejectsWith(
      toml(...G, '[[neighbors]]', '[neighbors.config]', 'neighbor-address = "192.0.2.2"'),
      'neighbors[0].config',
      5,
      /peer-as is required/,
    );
    rejectsWith(
      toml(...G, '[[neighbors]]', '[neighbors.config]', 'peer-as = 1'),
      'neighbors[0].config',
      5,
      /neighbor-address is required/,
    );
    rejectsWith(toml(...G, ...N, 'local-as = 0'), 'neighbors[0].config.local-as', 8, /out of range/);
    rejectsWith(
      toml(...G, ...N, '[neighbors.transport.config]', 'passive-mode = "yes"'),
      'neighbors[0].transport.config.passive-mode',
      9,
      /expected a boolean/,
    );
    rejectsWith(
      toml(...G, ...N, '[neighbors.transport.config]', 'local-address = "2001:db8::1"'),
      'neighbors[0].transport.config.local-address',
      9,
      /is IPv6 but neighbor-address 192\.0\.2\.2 is not/,
    );
    rejectsWith(
      toml(...G, ...N, '[neighbors.transport.config]', 'remote-port = 0'),
      'neighbors[0].transport.config.remote-port',
      9,
      /out of range/,
    );
  });

  void it('timers: hold-time 0 or >= 3, keepalive below hold-time, connect-retry positive', () => {
    const T = [...G, ...N, '[neighbors.timers.config]'];
    rejectsWith(
      toml(...T, 'hold-time = 2'),
      'neighbors[0].timers.config.hold-time',
      9,
      /0 \(no hold timer\) or 3\.\.65535/,
    );
    rejectsWith(
      toml(...T, 'hold-time = 9', 'keepalive-interval = 9'),
      'neighbors[0].timers.config.keepalive-interval',
      10,
      /less than hold-time/,
    );
    rejectsWith(
      toml(...T, 'keepalive-interval = 0'),
      'neighbors[0].timers.config.keepalive-interval',
      9,
      /greater than 0/,
    );
    rejectsWith(
      toml(...T, 'connect-retry = 0'),
      'neighbors[0].timers.config.connect-retry',
      9,
      /out of range/,
    );
  });

  void it('afi-safi-name: the four families; other GoBGP families warn; unknown names fail', () => {
    const A = (name: string) => [
      '[[neighbors.afi-safis]]',
      '[neighbors.afi-safis.config]',
      `afi-safi-name = "${name}"`,
    ];
    const { config, warnings } = accepts(toml(...G, ...N, ...A('l3vpn-ipv4-unicast'), ...A('l2vpn-evpn')));
    assert.deepEqual(config.neighbors[0]!.families, ['l3vpn-ipv4-unicast']);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.path, 'neighbors[0].afi-safis[1].config.afi-safi-name');
    assert.equal(warnings[0]!.line, 13);
    assert.match(warnings[0]!.message, /not supported by ribjournal, ignored/);
    rejectsWith(
      toml(...G, ...N, ...A('ipv4-unicast'), ...A('ipv5-unicast')),
      'neighbors[0].afi-safis[1].config.afi-safi-name',
      13,
      /unknown afi-safi-name "ipv5-unicast"/,
    );
    const disabled = accepts(toml(...G, ...N, ...A('ipv4-unicast'), ...A('ipv6-unicast'), 'enabled = false'));
    assert.deepEqual(disabled.config.neighbors[0]!.families, ['ipv4-unicast']);
  });

  void it('duplicate neighbor addresses, also when written differently', () => {
    const one = ['[[neighbors]]', '[neighbors.config]', 'neighbor-address = "2001:db8::2"', 'peer-as = 1'];
    const two = ['[[neighbors]]', '[neighbors.config]', 'neighbor-address = "2001:DB8:0::2"', 'peer-as = 2'];
    rejectsWith(
      toml(...G, ...one, ...two),
      'neighbors[1].config.neighbor-address',
      10,
      /duplicate neighbor 2001:db8::2 \(also at neighbors\[0\]/,
    );
  });

  void it('neighbors without [global.config] are an error', () => {
    rejectsWith(toml(...N), 'neighbors', 1, /need \[global\.config\]/);
  });
});

void describe('[api]', () => {
  void it('listen is host:port; token-file and anonymous-read are read', () => {
    const { config } = accepts(
      toml(
        '[api]',
        'listen = "[::1]:50080"',
        'token-file = "/etc/ribjournal/token"',
        'anonymous-read = true',
      ),
    );
    assert.deepEqual(config.api, {
      listen: '[::1]:50080',
      tokenFile: '/etc/ribjournal/token',
      tokenFileLine: 3,
      anonymousRead: true,
    });
    rejectsWith(toml('[api]', 'listen = "50080"'), 'api.listen', 2, /not host:port/);
    rejectsWith(toml('[api]', 'listen = "0.0.0.0:99999"'), 'api.listen', 2, /not host:port/);
  });
});

void describe('all problems at once', () => {
  void it('reports every problem, in line order, one per line of the message', () => {
    const text = toml(
      '[netlink]', //                                     1
      'scan-interval = 0', //                             2
      '[netlink.import]', //                              3
      'enabled = true', //                                4
      'interface-list = []', //                           5
      '[[vrfs]]', //                                      6
      '[vrfs.config]', //                                 7
      'name = "global"', //                               8
      'rd = "x"', //                                      9
      'label = 2000000', //                               10
      '[[neighbors]]', //                                 11
      '[neighbors.config]', //                            12
      'neighbor-address = "192.0.2.2"', //                13
      'peer-as = 1', //                                   14
    );
    const { problems, message } = problemsOf(text);
    assert.deepEqual(
      problems.map((p) => [p.line, p.path]),
      [
        [2, 'netlink.scan-interval'],
        [5, 'netlink.import.interface-list'],
        [8, 'vrfs[0].config.name'],
        [9, 'vrfs[0].config.rd'],
        [10, 'vrfs[0].config.label'],
        [11, 'neighbors'],
      ],
    );
    const lines = message.split('\n');
    assert.equal(lines.length, 6);
    for (const [i, p] of problems.entries())
      assert.ok(lines[i]!.startsWith(`test.toml:${p.line}: ${p.path}: `), lines[i]);
  });
});
