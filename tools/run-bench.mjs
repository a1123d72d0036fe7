// Runs every benchmark under tools/bench (or those whose name contains an argument).
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
let files = readdirSync(`${root}tools/bench`)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
let failed = 0;
for (const f of files) {
  console.log(`\n## ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', `tools/bench/${f}`], {
    stdio: 'inherit',
    cwd: root,
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
