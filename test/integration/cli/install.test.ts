// Install from a clone without the network (issue 13, item 7): `npm pack` then `npm install -g
// --offline` into a temporary prefix, as docs/operations.md says; the installed `ribjournal` runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { scaled } from '../../helpers/deadline.js';
import { VERSION } from '../../../src/cli/version.js';

const run = promisify(execFile);
const root = new URL('../../..', import.meta.url).pathname;

test('npm pack + npm install -g --offline --prefix: the installed binary runs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rjt-install-'));
  try {
    const timeout = scaled(300_000);
    await run('npm', ['pack', '--pack-destination', dir], { cwd: root, timeout });
    const tgz = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
    assert.ok(tgz, 'npm pack wrote a tarball');
    const prefix = join(dir, 'prefix');
    await run(
      'npm',
      [
        'install',
        '-g',
        '--offline',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--prefix',
        prefix,
        join(dir, tgz),
      ],
      { cwd: dir, timeout },
    );
    const bin = join(prefix, 'bin', 'ribjournal');
    const version = await run(bin, ['--version'], { cwd: dir, timeout: scaled(30_000) });
    assert.equal(version.stdout.trim(), VERSION);
    // The installed examples and the server stack (yoga, LevelDB, the config parser) are there.
    const example = join(prefix, 'lib', 'node_modules', 'ribjournal', 'examples', 'hybrid.toml');
    const dry = await run(bin, ['serve', '--dry-run', '-f', example], { cwd: dir, timeout: scaled(30_000) });
    assert.match(dry.stdout, /configuration is valid/);
    const help = await run(bin, ['global', 'rib', '--help'], { cwd: dir, timeout: scaled(30_000) });
    assert.match(help.stdout, /longer-prefixes/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
