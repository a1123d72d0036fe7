// Client commands load no server code (issue 13, item 3): `global rib` and `--version` must not pull in
// graphql-yoga, Pothos, LevelDB, BGP or the daemon; `serve` and `journal` load theirs only when named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaled } from '../../helpers/deadline.js';

const root = new URL('../../..', import.meta.url).pathname;
const SERVER_CODE = [
  /node_modules\/graphql-yoga\//,
  /node_modules\/@pothos\//,
  /node_modules\/classic-level\//,
  /node_modules\/pino\//,
  /\/src\/(api|journal|bgp|projections|netlink|import|main)\b/,
];

/** Runs the CLI from source and returns the modules it resolved, and its exit status and output. */
function trace(args: readonly string[]): { modules: string[]; status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rjt-trace-'));
  const file = join(dir, 'modules');
  try {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', join(root, 'tools/module-trace.mjs'), 'src/cli/run.ts', ...args],
      { cwd: root, encoding: 'utf8', env: { ...process.env, MODULE_TRACE: file }, timeout: scaled(30_000) },
    );
    return {
      modules: readFileSync(file, 'utf8').split('\n').filter(Boolean),
      status: r.status,
      out: r.stdout + r.stderr,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('global rib (daemon unreachable) and --version load no server module', () => {
  for (const args of [
    ['global', 'rib', '--api', '127.0.0.1:1'],
    ['--version'],
    ['vrf', '--api', '127.0.0.1:1'],
  ]) {
    const r = trace(args);
    assert.ok(
      r.modules.some((m) => m.includes('commander')),
      `trace works for ${args.join(' ')}`,
    );
    const server = r.modules.filter((m) => SERVER_CODE.some((re) => re.test(m)));
    assert.deepEqual(server, [], `ribjournal ${args.join(' ')} loaded server code`);
  }
});

test('serve and journal still load their modules when named, and --help lists them', () => {
  const serve = trace(['serve', '--help']);
  assert.equal(serve.status, 0);
  assert.match(serve.out, /--config-file/);
  assert.ok(serve.modules.some((m) => m.includes('graphql-yoga')));
  const journal = trace(['help', 'journal']);
  assert.match(journal.out, /dump/);
  const help = trace(['--help']);
  assert.match(help.out, /serve\s+watch the configured interfaces/);
  assert.match(help.out, /journal\s+offline commands/);
});
