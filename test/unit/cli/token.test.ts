// The CLI's API token: RIBJOURNAL_TOKEN, else the file named by RIBJOURNAL_TOKEN_FILE (trimmed); a bad
// file is one clear error that names the file and never a token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readToken } from '../../../src/cli/client.js';
import { isRibjournalError } from '../../../src/shared/index.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rj-token-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('no token: undefined; empty values count as unset', () => {
  assert.equal(readToken({}), undefined);
  assert.equal(readToken({ RIBJOURNAL_TOKEN: '', RIBJOURNAL_TOKEN_FILE: '' }), undefined);
  assert.equal(readToken({ RIBJOURNAL_TOKEN: '  ' }), undefined);
});

test('RIBJOURNAL_TOKEN is used trimmed and wins over the file', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'token');
  await writeFile(file, 'from-file\n');
  assert.equal(readToken({ RIBJOURNAL_TOKEN: ' from-env\n' }), 'from-env');
  assert.equal(readToken({ RIBJOURNAL_TOKEN: 'from-env', RIBJOURNAL_TOKEN_FILE: file }), 'from-env');
});

test('RIBJOURNAL_TOKEN_FILE: the file’s contents, trimmed', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'token');
  await writeFile(file, '  s3cret-token\n\n', { mode: 0o600 });
  assert.equal(readToken({ RIBJOURNAL_TOKEN: '', RIBJOURNAL_TOKEN_FILE: file }), 's3cret-token');
  assert.equal(readToken({ RIBJOURNAL_TOKEN_FILE: file }), 's3cret-token');
});

test('a missing, unreadable or empty token file is one error line naming the file, not the token', async (t) => {
  const dir = await tempDir(t);
  const missing = join(dir, 'nope');
  assert.throws(
    () => readToken({ RIBJOURNAL_TOKEN_FILE: missing }),
    (err: unknown) =>
      isRibjournalError(err, 'BAD_ARGUMENT') &&
      err.message === `RIBJOURNAL_TOKEN_FILE: cannot read token file ${missing} (ENOENT)`,
  );
  // A directory cannot be read as a file (also as root).
  assert.throws(
    () => readToken({ RIBJOURNAL_TOKEN_FILE: dir }),
    (err: unknown) => isRibjournalError(err, 'BAD_ARGUMENT') && /\(EISDIR\)$/.test(err.message),
  );
  const empty = join(dir, 'empty');
  await writeFile(empty, '\n');
  assert.throws(
    () => readToken({ RIBJOURNAL_TOKEN_FILE: empty }),
    (err: unknown) => isRibjournalError(err, 'BAD_ARGUMENT') && /must hold one token/.test(err.message),
  );
  const two = join(dir, 'two');
  await writeFile(two, 'secret-a secret-b\n');
  assert.throws(
    () => readToken({ RIBJOURNAL_TOKEN_FILE: two }),
    (err: unknown) =>
      isRibjournalError(err) &&
      !err.message.includes('secret-a') &&
      !err.message.includes('\n') &&
      err.message.includes(two),
  );
});
