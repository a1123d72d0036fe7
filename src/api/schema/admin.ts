// Mutations: the daemon's state changes (reload the config, force a reconcile, back the journal up).
// Each needs the API token, also on loopback. A mutation without it is refused before any field runs
// (yoga.ts, server.ts for WebSocket); each resolver checks again, so no path reaches an operation without.
// There is no `writeCheckpoint`: the timeline's checkpoints are derived data kept in memory and written
// nowhere, so there is nothing durable to write.
import { isAbsolute } from 'node:path';
import { isRibjournalError } from '../../shared/index.js';
import type { RequestContext } from '../builder.js';
import { builder } from '../builder.js';
import type { AdminOperations, BackupOutcome, ReloadOutcome } from '../context.js';
import { apiError } from '../errors.js';

/** The operations, once the request is known to carry the token. */
function admin(ctx: RequestContext): AdminOperations {
  const refusal = ctx.refuseChange();
  if (refusal !== undefined) {
    throw apiError(refusal.code, refusal.message, { http: { status: refusal.status } });
  }
  const ops = ctx.api.admin;
  if (ops === undefined) throw new TypeError('the API was started without admin operations');
  return ops;
}

interface ReloadView extends ReloadOutcome {
  readonly headSeq: number;
}

const ReloadResultRef = builder.objectRef<ReloadView>('ReloadResult').implement({
  description: 'What a reload did.',
  fields: (t) => ({
    changed: t.exposeBoolean('changed', {
      description:
        'Whether the effective config changed: a ConfigApplied was journaled, before the route events it caused.',
    }),
    configVersion: t.exposeInt('configVersion', { description: 'The config version in force now.' }),
    warnings: t.exposeStringList('warnings', {
      description: 'Warnings about the new config (file:line: key: message).',
    }),
    headSeq: t.field({
      type: 'Seq',
      description: 'The journal head once every event the reload caused is committed.',
      resolve: (r) => r.headSeq,
    }),
  }),
});

interface ReconcileView {
  readonly corrections: number;
  readonly headSeq: number;
}

const ReconcileResultRef = builder.objectRef<ReconcileView>('ReconcileResult').implement({
  description: 'What a forced reconcile did.',
  fields: (t) => ({
    corrections: t.exposeInt('corrections', {
      description:
        'Route events the full kernel scan journaled: changes the notifications had missed (0 when the journal was in step with the kernel).',
    }),
    headSeq: t.field({
      type: 'Seq',
      description: 'The journal head once the corrections are committed.',
      resolve: (r) => r.headSeq,
    }),
  }),
});

const BackupResultRef = builder.objectRef<BackupOutcome>('BackupResult').implement({
  description: 'A verified copy of the journal.',
  fields: (t) => ({
    location: t.exposeString('location', { description: 'Absolute path of the copy.' }),
    events: t.field({
      type: 'Seq',
      description: 'Events in the copy (its head seq).',
      resolve: (b) => b.events,
    }),
    bytes: t.field({
      type: 'Seq',
      description: 'Bytes of keys and values written (a decimal string, like seqs).',
      resolve: (b) => b.bytes,
    }),
  }),
});

builder.mutationType({
  description: 'State changes. Each needs the API token (Authorization: Bearer), also on loopback.',
});

builder.mutationField('reload', (t) =>
  t.field({
    type: ReloadResultRef,
    description:
      'Re-reads the config file the daemon was started with and applies it, as SIGHUP does: routes move, are withdrawn or re-advertised, and the change is journaled. An invalid file fails with CONFIG_INVALID (extensions.problems: path, line, message) and the running config stays as it was.',
    resolve: async (_root, _args, ctx) => {
      const outcome = await admin(ctx).reload();
      return { ...outcome, headSeq: ctx.api.journal.head() };
    },
  }),
);

builder.mutationField('reconcile', (t) =>
  t.field({
    type: ReconcileResultRef,
    description:
      'Forces a full kernel scan now (the periodic reconcile) and returns once its corrections are committed.',
    resolve: async (_root, _args, ctx) => {
      const corrections = await admin(ctx).reconcile();
      return { corrections, headSeq: ctx.api.journal.head() };
    },
  }),
);

builder.mutationField('backup', (t) =>
  t.field({
    type: BackupResultRef,
    description:
      'Writes a consistent copy of the journal (as of now; appends go on meanwhile) into a new or empty directory on the daemon host, verifies it, and returns where it is. `journal verify` accepts it and `serve --journal` can run on it.',
    args: {
      outDir: t.arg.string({
        required: true,
        description: 'Absolute path of a directory that does not exist or is empty.',
      }),
    },
    resolve: async (_root, args, ctx) => {
      const ops = admin(ctx);
      if (!isAbsolute(args.outDir)) {
        throw apiError(
          'BAD_ARGUMENT',
          `outDir must be an absolute path on the daemon host, got "${args.outDir}"`,
        );
      }
      if (ops.backup === undefined) {
        throw apiError(
          'BAD_ARGUMENT',
          'this daemon’s journal cannot be backed up (it is not a LevelDB journal)',
        );
      }
      try {
        return await ops.backup(args.outDir);
      } catch (err) {
        const errno = (err as NodeJS.ErrnoException).code;
        if (!isRibjournalError(err) && typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) {
          throw apiError('BAD_ARGUMENT', `cannot write a backup to ${args.outDir}: ${errno}`);
        }
        throw err;
      }
    },
  }),
);
