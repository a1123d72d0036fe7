// Errors about the file `[api] token-file` names read like every other config error: file, line, key.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveApiAuth } from '../../../src/cli/serve.js';
import { parseConfig } from '../../../src/config/index.js';
import { isRibjournalError } from '../../../src/shared/index.js';

const TOML = '[netlink]\n[api]\n  listen = "127.0.0.1:50080"\n  token-file = "api-token"\n';

void describe('[api] token-file', () => {
  void it('names the config file, the line and the key when the token file is missing or malformed', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'rjt-token-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'ribjournal.toml');
    await writeFile(file, TOML);
    const { config } = parseConfig(TOML, file);
    await assert.rejects(resolveApiAuth(config, file, {}), (err) => {
      assert.ok(isRibjournalError(err, 'CONFIG_INVALID'));
      assert.match(
        err.message,
        new RegExp(`^${file}:4: api\\.token-file: cannot read token file .*api-token \\(ENOENT\\)$`),
      );
      return true;
    });
    await writeFile(join(dir, 'api-token'), 'two words\n', { mode: 0o600 });
    await assert.rejects(resolveApiAuth(config, file, {}), (err) => {
      assert.ok(isRibjournalError(err, 'CONFIG_INVALID'));
      assert.match(
        err.message,
        new RegExp(`^${file}:4: api\\.token-file: token file .* must hold one token`),
      );
      return true;
    });
    await writeFile(join(dir, 'api-token'), 'secret\n', { mode: 0o600 });
    assert.equal((await resolveApiAuth(config, file, {})).token, 'secret');
  });
});
