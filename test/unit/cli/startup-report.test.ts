// What serve says at start, on reload and in --dry-run about the configured interfaces and BGP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import { bgpLine, interfaceReport, missingWarning } from '../../../src/cli/startup-report.js';

const TOML = `
[global.config]
  as = 64512
  router-id = "192.0.2.1"
  port = 1790
  local-address-list = ["192.0.2.1"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "192.0.2.2"
    peer-as = 64513
[netlink]
  [netlink.import]
    enabled = true
    interface-list = ["kubelb0", "eth*"]
[[vrfs]]
  [vrfs.config]
    name = "customer-a"
    rd = "64551:100"
    import-rt-list = ["64551:100"]
    export-rt-list = ["64551:100"]
  [vrfs.netlink-import]
    enabled = true
    interface-list = ["vlan*", "eth1"]
`;

test('per table: the interfaces of this machine it imports, and the names and globs that match nothing', () => {
  const { config } = parseConfig(TOML);
  const report = interfaceReport(config, ['lo', 'eth0', 'eth1', 'wlan0']);
  assert.deepEqual(report, [
    { table: 'global', present: ['eth0', 'eth1'], missing: ['kubelb0'] },
    { table: 'customer-a', present: ['eth1'], missing: ['vlan*'] },
  ]);
  assert.equal(
    missingWarning(report[0]!),
    'table global: kubelb0 not on this machine; its routes come when the interface appears',
  );
  assert.equal(
    missingWarning(report[1]!),
    'table customer-a: vlan* (matches nothing) not on this machine; its routes come when the interface appears',
  );
  assert.equal(missingWarning({ table: 'global', present: ['eth0'], missing: [] }), undefined);
});

test('BGP: off without [global.config], else AS, router ID, port, addresses and peers', () => {
  assert.equal(
    bgpLine(parseConfig(TOML).config),
    'BGP AS 64512 router-id 192.0.2.1, port 1790 on 192.0.2.1; peers: 192.0.2.2 (AS 64513)',
  );
  const off = parseConfig('[netlink]\n  [netlink.import]\n    enabled = true\n    interface-list = ["*"]\n');
  assert.equal(bgpLine(off.config), 'BGP off (no [global.config])');
});
