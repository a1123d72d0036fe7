// What the API reads: the journal, the live RIB, and the indexes it keeps for history and time travel.
import type { AdjRibRoute, NeighborStatus } from '../bgp/index.js';
import type { BgpFamily } from '../bgp/codec/index.js';
import type { Journal } from '../journal/index.js';
import { ApiIndexes, LiveChanges, LiveRib, createApiIndexes, replayAndFollow } from '../projections/index.js';
import type { ApiIndexOptions, Rib } from '../projections/index.js';

export { ApiIndexes, createApiIndexes };

/** Everything the GraphQL API reads. The composition root builds it. */
export interface ApiContext {
  readonly journal: Journal;
  /** The live RIB projection (kept current from the journal's live tail). */
  readonly rib: Rib;
  readonly indexes: ApiIndexes;
  /**
   * The live RIB's route changes, in seq order, as the projection runner applies them; subscriptions
   * read them. Absent (offline tools): route-change subscriptions fail with NOT_READY.
   */
  readonly live?: LiveChanges;
  /** Why the daemon is not ready, for /readyz (absent: only `ready`). */
  health?(): { readonly ok: boolean; readonly reasons: readonly string[] };
  /** True once the daemon has replayed the journal and journaled the first kernel reconcile (/readyz). */
  ready(): boolean;
  /** The BGP speaker's neighbors (issue 6); absent or empty when BGP is off. */
  readonly bgp?: BgpView;
  /** The daemon's state-changing operations (the admin mutations); absent: those mutations fail. */
  readonly admin?: AdminOperations;
}

/** State changes the API offers to holders of the token. The composition root implements them. */
export interface AdminOperations {
  /**
   * Re-reads the config file the daemon was started with, validates it and applies it (the SIGHUP
   * path). An invalid file throws CONFIG_INVALID with the problems and leaves the running config as is.
   */
  reload(): Promise<ReloadOutcome>;
  /** Forces a full kernel scan; resolves once its corrections are committed, with their number. */
  reconcile(): Promise<number>;
  /** Writes a verified copy of the journal into `outDir` (absent: the journal cannot be backed up). */
  backup?(outDir: string): Promise<BackupOutcome>;
}

/** What a reload did. */
export interface ReloadOutcome {
  /** Whether the effective config changed (a ConfigApplied was journaled). */
  readonly changed: boolean;
  /** The config version in force afterwards. */
  readonly configVersion: number;
  /** Config warnings, formatted with file and line. */
  readonly warnings: readonly string[];
}

/** What a backup wrote. */
export interface BackupOutcome {
  /** Absolute path of the copy. */
  readonly location: string;
  /** Events in the copy (its head seq). */
  readonly events: number;
  readonly bytes: number;
}

/** What the API shows of the BGP speaker. A function, so a speaker started by a reload shows too. */
export interface BgpView {
  neighbors(): readonly NeighborStatus[];
  /** What was sent to / received from a neighbor (issue 12); undefined: no such neighbor. */
  adjRibOut?(address: string, family?: BgpFamily): readonly AdjRibRoute[] | undefined;
  adjRibIn?(address: string, family?: BgpFamily): readonly AdjRibRoute[] | undefined;
  /** `[global.config]` in force (AS, router ID, listening port and addresses); undefined: BGP off. */
  global?(): BgpIdentity | undefined;
}

/** The speaker's identity, as `gobgp global` shows it. */
export interface BgpIdentity {
  readonly as: number;
  readonly routerId: string;
  /** Negative: not listening. */
  readonly port: number;
  readonly localAddresses: readonly string[];
}

/** Creates the indexes and starts them (derived data from disk, then the journal's tail). For tests and tools. */
export async function followApiIndexes(
  journal: Journal,
  options: ApiIndexOptions = {},
): Promise<ApiIndexes & { unfollow(): Promise<void> }> {
  const indexes = createApiIndexes(journal, options);
  await indexes.start();
  // The route-count series is fed by the daemon's runner; here it follows the journal from seq 1.
  const unfollowCounts = await replayAndFollow(journal, [indexes.routeCounts]);
  return Object.assign(indexes, {
    unfollow: async () => {
      unfollowCounts();
      await indexes.stop();
    },
  });
}

/**
 * The live path over a Rib for tools and tests without a projection runner: apply the returned
 * projection instead of the Rib, and `changes` after it (replayAndFollow([live, ..., changes])).
 */
export function liveChangesOf(rib: Rib): { live: LiveRib; changes: LiveChanges } {
  const live = new LiveRib(rib);
  return { live, changes: new LiveChanges(live) };
}
