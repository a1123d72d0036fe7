// Custom scalars: seqs and microsecond times do not fit GraphQL's 32-bit Int.
import { Kind } from 'graphql';
import type { ValueNode } from 'graphql';
import { formatMicros } from '../../shared/index.js';
import { builder } from '../builder.js';
import { apiError } from '../errors.js';
import { parsePoint, parseSeq, parseTimestamp } from '../points.js';

function literal(node: ValueNode): unknown {
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.STRING) return node.value;
  throw apiError('BAD_ARGUMENT', `expected a string or an integer, got ${node.kind}`);
}

builder.scalarType('Seq', {
  description:
    'A journal sequence number (uint64, gapless from 1), serialised as a decimal string; accepted as a string or an integer.',
  serialize: (n) => String(n),
  parseValue: (v) => parseSeq(v),
  parseLiteral: (node) => parseSeq(literal(node)),
});

builder.scalarType('Timestamp', {
  description: 'A point in time: RFC 3339, UTC, with microseconds (2026-11-24T19:43:39.123456Z).',
  serialize: (micros) => formatMicros(micros),
  parseValue: (v) => {
    const t = typeof v === 'string' ? parseTimestamp(v) : undefined;
    if (t === undefined)
      throw apiError('BAD_ARGUMENT', `expected an RFC 3339 time with zone, got ${JSON.stringify(v)}`);
    return t;
  },
  parseLiteral: (node) => {
    const t = node.kind === Kind.STRING ? parseTimestamp(node.value) : undefined;
    if (t === undefined) throw apiError('BAD_ARGUMENT', 'expected an RFC 3339 time with zone');
    return t;
  },
});

builder.scalarType('SeqOrTime', {
  description:
    'A point in history, input only: a seq (integer or digit string), an RFC 3339 time with zone, or a time relative to now ("-15m", "-2h", "-30s", "-1d"). "At X" is the state after every event with seq <= X (time <= X).',
  serialize: () => {
    throw apiError('INTERNAL', 'SeqOrTime is an input type');
  },
  parseValue: (v) => parsePoint(v, () => Date.now() * 1000),
  parseLiteral: (node) => parsePoint(literal(node), () => Date.now() * 1000),
});

builder.scalarType('JSON', {
  description: 'A JSON value.',
  serialize: (v) => v,
  parseValue: (v) => v,
});
