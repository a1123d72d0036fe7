// The small scenario the journal fault tests run `serve` in: a namespace with kubelb0 up and a config
// importing it, in a temp directory removed afterwards.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNetns } from '../../helpers/netns.js';
import type { AfterHook, Netns } from '../../helpers/netns.js';
import { tempJournalDir } from '../../helpers/daemon.js';

const CONFIG = `
[netlink]
  [netlink.import]
    enabled = true
    interface-list = ["kubelb0"]
`;

export async function kubelbScenario(t: AfterHook): Promise<{ ns: Netns; dir: string; file: string }> {
  const ns = await createNetns(t);
  await ns.addVeth('kubelb0', 'kubelb0-p');
  await ns.waitOperUp('kubelb0');
  const dir = await tempJournalDir(t);
  const file = join(dir, 'ribjournal.toml');
  await writeFile(file, CONFIG);
  return { ns, dir, file };
}
