// After a retention trim (issue 9.5) the API's derived data still held every removed event twice (the
// per-prefix and per-VRF copies) and every timeline checkpoint before the horizon: the journal's events
// shrank but its disk did not. This removes the derived records no query can reach any more — queries at
// or before the horizon fail with BEFORE_RETENTION — and gives their space back.
import type { Journal } from '../../journal/index.js';
import {
  D_CHECKPOINT,
  D_ORDER,
  D_VRF_PATHS,
  checkpointKey,
  checkpointRange,
  parseOrderKey,
  prefixRange,
  seqOfKey,
  vrfPathsKey,
  vrfRange,
} from '../derived/index.js';
import { decodeCheckpointHead } from './timeline.js';

/** What a prune removed. */
export interface PruneResult {
  /** Prefixes whose events at or before the horizon were removed from the per-prefix index. */
  readonly prefixes: number;
  readonly vrfs: number;
  /** Timeline checkpoint heads removed, and VRF path records no kept head refers to. */
  readonly checkpoints: number;
  readonly checkpointVrfs: number;
}

const tag = (t: number): Buffer => Buffer.from([t]);

/**
 * Removes the derived records of the events at or before `horizon`: the per-prefix and per-VRF event
 * copies, and the timeline checkpoints older than the newest one at or before the horizon (that one and
 * every later one stay, with every VRF path record they refer to: a checkpoint written meanwhile builds
 * on the newest head, which stays). The prefix list, config and lifecycle records stay (small, and the
 * history of a prefix after the horizon still names it). Deletes in ranges, then compacts once.
 */
export async function pruneDerivedThrough(journal: Journal, horizon: number): Promise<PruneResult> {
  const derived = journal.derived;
  let prefixes = 0;
  const vrfs = new Set<string>();
  for await (const chunk of derived.scan({ gte: tag(D_ORDER), lt: tag(D_ORDER + 1) })) {
    for (const [key] of chunk) {
      const { vrf, prefix } = parseOrderKey(key);
      vrfs.add(vrf);
      const [gte, lt] = prefixRange(vrf, prefix, 0, horizon);
      await derived.clear({ gte, lt }, { compact: false });
      prefixes++;
    }
  }
  for (const vrf of vrfs) {
    const [gte, lt] = vrfRange(vrf, 0, horizon);
    await derived.clear({ gte, lt }, { compact: false });
  }

  // Timeline checkpoints: keep the newest head at or before the horizon and all after it.
  const [headsLo, headsHi] = checkpointRange(0, horizon);
  const newestOld = await derived.range({ gte: headsLo, lt: headsHi, reverse: true, limit: 1 });
  const keepFrom = newestOld[0] !== undefined ? seqOfKey(newestOld[0][0]) : horizon + 1;
  const referenced = new Set<string>();
  for await (const chunk of derived.scan({ gte: checkpointKey(keepFrom), lt: tag(D_CHECKPOINT + 1) }))
    for (const [key, value] of chunk) {
      let head;
      try {
        head = decodeCheckpointHead(key, value);
      } catch {
        // A damaged head is the timeline's to find and rebuild; keep everything it might refer to.
        return { prefixes, vrfs: vrfs.size, checkpoints: 0, checkpointVrfs: 0 };
      }
      for (const [vrf, seq] of head.vrfs) referenced.add(`${seq} ${vrf}`);
    }
  let checkpoints = 0;
  for await (const keys of derived.scanKeys({ gte: tag(D_CHECKPOINT), lt: checkpointKey(keepFrom) })) {
    await derived.write([], keys);
    checkpoints += keys.length;
  }
  let checkpointVrfs = 0;
  // 'k' u64 seq vrf: the records of checkpoints before keepFrom, unless a kept head refers to them.
  for await (const keys of derived.scanKeys({ gte: tag(D_VRF_PATHS), lt: vrfPathsKey(keepFrom, '') })) {
    const dels = keys.filter((k) => {
      const seq = k.readUInt32BE(1) * 0x1_0000_0000 + k.readUInt32BE(5);
      return !referenced.has(`${seq} ${k.toString('utf8', 9)}`);
    });
    if (dels.length > 0) await derived.write([], dels);
    checkpointVrfs += dels.length;
  }
  await derived.compact();
  return { prefixes, vrfs: vrfs.size, checkpoints, checkpointVrfs };
}
