// Shared by churn.bench.ts and flood.bench.ts: a namespace of their own with `devices` veths
// (dev0..), a journal directory, both removed afterwards; and the load average line for the figures.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeChurnLinks } from '../../test/helpers/churn.js';
import { createNetns, type Netns } from '../../test/helpers/netns.js';

export async function inChurnLab(
  name: string,
  devices: number,
  fn: (ns: Netns, journalDir: string) => Promise<void>,
): Promise<void> {
  const ns = await createNetns(undefined, { prefix: `rjt-${name}` });
  const dir = await mkdtemp(join(tmpdir(), `rjt-${name}-`));
  try {
    await makeChurnLinks(ns, devices);
    await fn(ns, dir);
  } finally {
    await ns.remove();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `  load average: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}
