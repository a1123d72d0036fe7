// Persisted checkpoints of the RIB projection: derived data kept in the journal's meta space so that a
// start-up replays only the events after it. Deleting one changes no answer, only start-up time; a
// checkpoint that does not match the journal (newer than its head, or a different event at its seq) is
// ignored.
import type { ConfigApplied } from '../../events/index.js';
import type { Journal } from '../../journal/index.js';
import { encodeVrfPaths, restoreVrfPaths } from './snapshot.js';
import { Rib } from './rib.js';

/** The meta key the daemon keeps its RIB checkpoint under. */
export const RIB_CHECKPOINT_KEY = 'rib-checkpoint';

const FORMAT = 1;

interface CheckpointBody {
  readonly format: number;
  readonly seq: number;
  readonly time: number;
  readonly config: ConfigApplied | null;
  readonly vrfs: Record<string, string>;
}

export function encodeRibCheckpoint(rib: Rib): Buffer {
  const vrfs: Record<string, string> = {};
  for (const vrf of rib.vrfNames()) vrfs[vrf] = encodeVrfPaths(rib, vrf);
  const body: CheckpointBody = {
    format: FORMAT,
    seq: rib.seq,
    time: rib.time,
    config: rib.config ?? null,
    vrfs,
  };
  return Buffer.from(JSON.stringify(body));
}

/** Decodes a checkpoint; undefined when it is unreadable or of another format. */
export function decodeRibCheckpoint(buf: Buffer): Rib | undefined {
  let cp: CheckpointBody;
  try {
    cp = JSON.parse(buf.toString('utf8')) as CheckpointBody;
  } catch {
    return undefined;
  }
  if (cp.format !== FORMAT || typeof cp.seq !== 'number' || typeof cp.vrfs !== 'object') return undefined;
  const rib = new Rib();
  if (cp.config) rib.apply({ seq: 0, time: 0, version: 1, event: cp.config });
  for (const [vrf, text] of Object.entries(cp.vrfs)) restoreVrfPaths(rib, vrf, text);
  rib.seq = cp.seq;
  rib.time = cp.time;
  return rib;
}

/**
 * The RIB at the journal's checkpoint, if there is a valid one: its seq is within the journal and the
 * event there has the checkpoint's time (so it is this journal's history, not another's).
 */
export async function loadRibCheckpoint(journal: Journal): Promise<Rib | undefined> {
  const buf = await journal.getMeta(RIB_CHECKPOINT_KEY);
  if (buf === undefined) return undefined;
  const rib = decodeRibCheckpoint(buf);
  if (rib === undefined || rib.seq > journal.head()) return undefined;
  if (rib.seq > 0) {
    const env = await journal.get(rib.seq);
    if (env === undefined || env.time !== rib.time) return undefined;
  }
  return rib;
}

export async function saveRibCheckpoint(journal: Journal, rib: Rib): Promise<void> {
  await journal.putMeta(RIB_CHECKPOINT_KEY, encodeRibCheckpoint(rib));
}
