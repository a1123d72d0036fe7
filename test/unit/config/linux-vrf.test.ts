// [netlink] linux-vrf and [vrfs.config] linux-vrf-device: which Linux VRF device feeds which VRF.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accepts, assertWarning, problemsOf, rejectsWith, toml } from './helpers.js';

const vrf = (name: string, rd: string, ...extra: string[]): string[] => [
  '[[vrfs]]',
  '  [vrfs.config]',
  `    name = "${name}"`,
  `    rd = "${rd}"`,
  ...extra.map((l) => `    ${l}`),
];
const ON = ['[netlink]', '  linux-vrf = true'];

void describe('[vrfs.config] linux-vrf-device', () => {
  void it('names the device that feeds the VRF; absent, the device is named like the VRF', () => {
    const { config, warnings } = accepts(
      toml(...ON, ...vrf('customer-a', '1:1', 'linux-vrf-device = "vrf100"'), ...vrf('blue', '1:2')),
    );
    assert.deepEqual(warnings, []);
    assert.equal(config.vrfs[0]?.linuxVrfDevice, 'vrf100');
    assert.equal(config.vrfs[1]?.linuxVrfDevice, undefined);
    assert.ok(!Object.hasOwn(config.vrfs[1] ?? {}, 'linuxVrfDevice'), 'absent, not undefined');
  });

  void it('must be one exact interface name', () => {
    rejectsWith(
      toml(...ON, ...vrf('a', '1:1', 'linux-vrf-device = "vrf*"')),
      'vrfs[0].config.linux-vrf-device',
      7,
      /pattern.*exactly/,
    );
    rejectsWith(
      toml(...ON, ...vrf('a', '1:1', 'linux-vrf-device = "a-very-long-vrf-name"')),
      'vrfs[0].config.linux-vrf-device',
      7,
      /IFNAMSIZ/,
    );
    rejectsWith(
      toml(...ON, ...vrf('a', '1:1', 'linux-vrf-device = ""')),
      'vrfs[0].config.linux-vrf-device',
      7,
      /empty/,
    );
    rejectsWith(
      toml(...ON, ...vrf('a', '1:1', 'linux-vrf-device = 7')),
      'vrfs[0].config.linux-vrf-device',
      7,
      /expected a string/,
    );
  });

  void it('two VRFs cannot take one device, whether named by the key or by the VRF name', () => {
    const { problems } = problemsOf(
      toml(
        ...ON,
        ...vrf('blue', '1:1'),
        ...vrf('other', '1:2', 'linux-vrf-device = "blue"'),
        ...vrf('x', '1:3', 'linux-vrf-device = "vrf9"'),
        ...vrf('y', '1:4', 'linux-vrf-device = "vrf9"'),
      ),
    );
    assert.deepEqual(
      problems.map((p) => [p.path, p.line]),
      [
        ['vrfs[1].config.linux-vrf-device', 11],
        ['vrfs[3].config.linux-vrf-device', 21],
      ],
    );
    assert.match(
      problems[0]?.message ?? '',
      /device "blue" already feeds VRF "blue" \(vrfs\[0\]\.config\.name\)/,
    );
  });

  void it('without linux-vrf the key has no effect (a warning) and duplicates do not matter', () => {
    const { config, warnings } = accepts(
      toml(...vrf('a', '1:1', 'linux-vrf-device = "vrf1"'), ...vrf('b', '1:2', 'linux-vrf-device = "vrf1"')),
    );
    assert.equal(config.netlink.linuxVrf, false);
    assertWarning(
      warnings,
      'vrfs[0].config.linux-vrf-device',
      5,
      /no effect unless \[netlink\] linux-vrf = true/,
    );
    assertWarning(warnings, 'vrfs[1].config.linux-vrf-device', 10, /no effect/);
  });

  void it('in linux-vrf mode, a VRF name no device can have asks for linux-vrf-device', () => {
    const { warnings } = accepts(toml(...ON, ...vrf('customer-a-production', '1:1')));
    assertWarning(
      warnings,
      'vrfs[0].config.name',
      5,
      /no Linux VRF device can have this VRF's name; set linux-vrf-device/,
    );
    const set = accepts(toml(...ON, ...vrf('customer-a-production', '1:1', 'linux-vrf-device = "cust-a"')));
    assert.deepEqual(set.warnings, []);
  });
});
