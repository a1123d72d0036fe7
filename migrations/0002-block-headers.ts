// Migration to storage format 2 (layout in src/journal/storage.ts): every block gets a header with its
// event count, last time and a checksum, every time-index entry gets its block's count, and runs of
// small blocks (format 1 stored one value per group commit, so a journal written one event at a time
// held one LevelDB value per event) are merged into blocks of up to 4096 events. Records are copied
// byte for byte: seqs, times and content stay exactly what they were.
import { EVENTS_HI, EVENTS_LO, TIMES_HI, blockSeqOfKey } from '../src/journal/storage.js';
import { compactionPass } from '../src/journal/compaction.js';
import type { JournalMigration } from '../src/journal/migrate.js';

export const migration0002: JournalMigration = {
  version: 2,
  name: '0002-block-headers',
  description: 'block headers (count, last time, checksum), counts in the time index, small blocks merged',
  async run(ctx) {
    const from = ctx.resumeFrom === undefined ? 1 : Number(ctx.resumeFrom);
    const last = await ctx.db.keys({ gte: EVENTS_LO, lt: EVENTS_HI, reverse: true, limit: 1 }).all();
    const total = last[0] === undefined ? 0 : blockSeqOfKey(last[0]);
    await compactionPass(ctx.db, {
      from,
      sourceFormat: 1,
      final: true,
      rewriteSingles: true,
      commit: (batch, resumeAt) => ctx.commit(batch, String(resumeAt)),
      onProgress: (seq) => ctx.progress(Math.min(seq, total), total),
    });
    // The replaced blocks are tombstones now: compact them away so that the first replay is fast.
    await ctx.db.compactRange(EVENTS_LO, TIMES_HI);
  },
};
