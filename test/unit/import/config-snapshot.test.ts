// What ConfigApplied journals of a config: a VRF's GoBGP id only when set, so journals written before
// the id existed compare equal and no new ConfigApplied is written for a config that did not change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import { configSnapshot, sameEffectiveConfig } from '../../../src/import/index.js';

const vrf = (name: string, rd: string, id?: number): string[] => [
  '[[vrfs]]',
  '  [vrfs.config]',
  `    name = "${name}"`,
  `    rd = "${rd}"`,
  ...(id !== undefined ? [`    id = ${id}`] : []),
];

test("ConfigApplied carries a VRF's id when set, and nothing for one without", () => {
  const { config } = parseConfig([...vrf('a', '1:1', 7), ...vrf('b', '1:2')].join('\n'));
  const snap = configSnapshot(config, 1);
  assert.equal(snap.vrfs.find((v) => v.name === 'a')?.id, 7);
  assert.equal('id' in snap.vrfs.find((v) => v.name === 'b')!, false);
  const before = configSnapshot(parseConfig(vrf('b', '1:2').join('\n')).config, 1);
  const after = configSnapshot(parseConfig(vrf('b', '1:2', 0).join('\n')).config, 2);
  assert.ok(sameEffectiveConfig(before, after), 'id = 0 is the same effective config as no id');
  const changed = configSnapshot(parseConfig(vrf('b', '1:2', 3).join('\n')).config, 3);
  assert.ok(!sameEffectiveConfig(before, changed), 'setting an id is a config change');
});
