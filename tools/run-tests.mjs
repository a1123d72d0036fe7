// node --test on Node 20 silently finds no .ts files: list them explicitly and fail when none exist.
// Usage: node tools/run-tests.mjs [unit|integration|all] [filter...]
//
// Unit files run in ONE process (each imported in turn; node:test runs and reports them there): a
// process per file costs ~1 s of CPU for tsx alone, times 50 files. Integration files run as separate
// processes, TEST_CONCURRENCY (default 2) at a time: each makes its own namespaces, temp dirs and
// ports, so they share no state. Deadlines scale with RIBJOURNAL_TEST_SCALE (test/helpers/deadline.ts).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const scope = ['unit', 'integration', 'all'].includes(args[0] ?? '') ? args.shift() : 'all';
const filters = args;

function walk(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const pick = (kind) => {
  let files = walk(join(root, 'test', kind)).sort();
  if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
  return files;
};
const unit = scope === 'integration' ? [] : pick('unit');
const integration = scope === 'unit' ? [] : pick('integration');
if (unit.length + integration.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}

let failed = false;
if (unit.length > 0) {
  const imports = unit.map((f) => `await import(${JSON.stringify(pathToFileURL(f).href)});`).join('\n');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test-reporter=spec', '--input-type=module', '-e', imports],
    { stdio: 'inherit', cwd: root },
  );
  if (r.status !== 0) failed = true;
}
if (integration.length > 0) {
  const concurrency = process.env.TEST_CONCURRENCY ?? '2';
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-reporter=spec',
      ...integration,
    ],
    { stdio: 'inherit', cwd: root },
  );
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
