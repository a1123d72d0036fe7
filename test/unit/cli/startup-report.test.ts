// What serve says at start, on reload and in --dry-run about the configured interfaces and BGP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import { bgpLine, interfaceReport, missingWarning } from '../../../src/cli/startup-report.js';
import { kubelbConfig } from '../../helpers/configs.js';

const BGP = `
[global.config]
  as = 64512
  router-id = "192.0.2.1"
  port = 1790
  local-address-list = ["192.0.2.1"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "192.0.2.2"
    peer-as = 64513
`;
const MACHINE = ['lo', 'eth0', 'eth1', 'wlan0'];

test('per table: the interfaces of this machine it imports, and the names that do not exist', () => {
  const report = interfaceReport(parseConfig(kubelbConfig()).config, MACHINE);
  assert.deepEqual(report, [
    { table: 'global', present: [], missing: ['kubelb0'] },
    { table: 'customer-a', present: ['eth1'], missing: [] },
  ]);
  assert.equal(
    missingWarning(report[0]!),
    'table global: kubelb0 not on this machine; its routes come when the interface appears',
  );
  assert.equal(missingWarning(report[1]!), undefined);
});

test('globs: every interface they match, or a warning that they match nothing', () => {
  const globs = '[netlink.import]\n  enabled = true\n  interface-list = ["eth*", "vlan*"]\n';
  const [global] = interfaceReport(parseConfig(globs).config, MACHINE);
  assert.deepEqual(global, { table: 'global', present: ['eth0', 'eth1'], missing: ['vlan*'] });
  assert.equal(
    missingWarning(global),
    'table global: vlan* (matches nothing) not on this machine; its routes come when the interface appears',
  );
});

test('BGP: off without [global.config], else AS, router ID, port, addresses and peers', () => {
  assert.equal(
    bgpLine(parseConfig(kubelbConfig({ extra: BGP })).config),
    'BGP AS 64512 router-id 192.0.2.1, port 1790 on 192.0.2.1; peers: 192.0.2.2 (AS 64513)',
  );
  assert.equal(bgpLine(parseConfig(kubelbConfig()).config), 'BGP off (no [global.config])');
});
