// The Pothos schema builder (hayes/pothos app layout): it defines no types; schema/*.ts do.
import SchemaBuilder from '@pothos/core';
import type { Access, Refusal } from './auth.js';
import type { ApiContext } from './context.js';
import type { ChangeFeed } from './feed.js';
import type { Point } from './points.js';

/** What every resolver receives. */
export interface RequestContext {
  readonly api: ApiContext;
  readonly feed: ChangeFeed;
  /**
   * What the request may do (its token was checked before anything ran); undefined when no decision was
   * recorded for it (a path around the front door: a bug), and then every operation is refused.
   */
  readonly access: Access | undefined;
  /** Why a state change by this request is refused, or undefined when it may change state. */
  refuseChange(): Refusal | undefined;
  /** Wall clock in epoch µs. */
  nowMicros(): number;
}

/** The custom scalars' types (also those of the collector's fleet schema, src/fleet/schema.ts). */
export type ApiScalars = {
  Seq: { Input: number; Output: number };
  Timestamp: { Input: number; Output: number };
  SeqOrTime: { Input: Point; Output: never };
  JSON: { Input: unknown; Output: unknown };
};

export const builder = new SchemaBuilder<{
  Context: RequestContext;
  Scalars: ApiScalars;
  DefaultFieldNullability: false;
}>({ defaultFieldNullability: false });
