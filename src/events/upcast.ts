// Upcasting (emmett style), in one place: an event written with an older body schema is turned into
// the current shape when it is read, so that projections and outputs only ever see current events.
// Stored events are never rewritten for a change of meaning; this is where such a change goes.
// Version 1 is the only schema so far, so the table is empty and upcast() is the identity.
import { RibjournalError } from '../shared/index.js';
import type { Envelope } from './types.js';

/** Current schema version of event bodies written by this build. */
export const EVENT_SCHEMA_VERSION = 1;

/** Turns an envelope of schema version v into one of version v + 1 (same seq and time). */
export type Upcaster = (env: Envelope) => Envelope;

/**
 * The upcasters of this build: UPCASTERS[v] takes version v to v + 1. Add one here (with its test) when
 * EVENT_SCHEMA_VERSION is raised.
 */
export const UPCASTERS: Readonly<Record<number, Upcaster>> = {};

/** Builds an upcast function for a table of upcasters and a current version (tests use their own). */
export function createUpcast(
  upcasters: Readonly<Record<number, Upcaster>>,
  current: number,
): (env: Envelope) => Envelope {
  return (env) => {
    if (env.version === current) return env;
    if (env.version > current) {
      throw new RibjournalError(
        'JOURNAL_VERSION_NEWER',
        `event seq ${env.seq} has schema version ${env.version}, newer than this build understands (${current}): ` +
          'upgrade ribjournal to read it',
        { details: { seq: env.seq, version: env.version, supported: current } },
      );
    }
    let out = env;
    while (out.version < current) {
      const up = upcasters[out.version];
      if (up === undefined) {
        throw new RibjournalError(
          'JOURNAL_CORRUPT',
          `event seq ${env.seq} has schema version ${env.version}, which no ribjournal ever wrote`,
          { details: { seq: env.seq, version: env.version } },
        );
      }
      const next = up(out);
      if (next.version !== out.version + 1 || next.seq !== out.seq || next.time !== out.time) {
        throw new TypeError(
          `upcaster from version ${out.version} must keep seq and time and raise the version by one`,
        );
      }
      out = next;
    }
    return out;
  };
}

/** The current shape of a decoded envelope: every decode path calls this. */
export const upcast: (env: Envelope) => Envelope = createUpcast(UPCASTERS, EVENT_SCHEMA_VERSION);
