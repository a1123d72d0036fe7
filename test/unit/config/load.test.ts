// Reading config files, and the frozen result.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfigFile, parseConfig } from '../../../src/config/index.js';
import { isRibjournalError } from '../../../src/shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'ribjournal-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('loadConfigFile', () => {
  void it('CONFIG_NOT_FOUND for a missing file, naming it', async () => {
    const path = join(dir, 'missing.toml');
    await assert.rejects(loadConfigFile(path), (err) => {
      assert.ok(isRibjournalError(err, 'CONFIG_NOT_FOUND'));
      assert.match(err.message, /missing\.toml: no such file/);
      return true;
    });
  });

  void it('CONFIG_INVALID messages start with the file path', async () => {
    const path = join(dir, 'bad.toml');
    writeFileSync(path, '[netlink]\nscan-interval = -5\n');
    await assert.rejects(loadConfigFile(path), (err) => {
      assert.ok(isRibjournalError(err, 'CONFIG_INVALID'));
      assert.equal(
        err.message,
        `${path}:2: netlink.scan-interval: -5 is out of range: expected a positive number of seconds, 0.001..2147483`,
      );
      return true;
    });
  });

  void it('reads a file with a byte-order mark', async () => {
    const path = join(dir, 'bom.toml');
    writeFileSync(path, '\uFEFF[netlink.import]\nenabled = true\ninterface-list = ["eth0"]\n');
    const { config } = await loadConfigFile(path);
    assert.deepEqual(config.netlink.import.interfaces, ['eth0']);
  });
});

void describe('the result', () => {
  void it('is deep-frozen', () => {
    const loaded = parseConfig(
      [
        '[netlink.import]',
        'enabled = true',
        'interface-list = ["eth0"]',
        '[[vrfs]]',
        '[vrfs.config]',
        'name = "a"',
        'rd = "1:1"',
        'import-rt-list = ["1:1"]',
        '[global.config]',
        'as = 1',
        'router-id = "1.1.1.1"',
        '[[neighbors]]',
        '[neighbors.config]',
        'neighbor-address = "1.1.1.2"',
        'peer-as = 2',
        'bogus = 1',
      ].join('\n'),
    );
    const c = loaded.config;
    for (const obj of [
      loaded,
      loaded.warnings,
      loaded.warnings[0],
      c,
      c.netlink,
      c.netlink.import,
      c.netlink.import.interfaces,
      c.vrfs,
      c.vrfs[0],
      c.vrfs[0]!.rd,
      c.vrfs[0]!.importRts,
      c.vrfs[0]!.importRts[0],
      c.vrfs[0]!.netlinkImport.interfaces,
      c.global,
      c.global!.localAddresses,
      c.neighbors[0],
      c.neighbors[0]!.families,
      c.api,
    ])
      assert.ok(Object.isFrozen(obj), JSON.stringify(obj));
    assert.throws(() => {
      (c.netlink.import.interfaces as string[]).push('eth1');
    }, TypeError);
  });

  void it('an empty file is a valid config with nothing to import and BGP off', () => {
    const { config, warnings } = parseConfig('');
    assert.deepEqual(warnings, []);
    assert.equal(config.netlink.import.enabled, false);
    assert.equal(config.global, undefined);
    assert.deepEqual(config.vrfs, []);
  });
});
