// Bugs go to the log, not to process warnings (issue 10.7): an API resolver that fails with a bug answers
// INTERNAL and logs the error with its stack; a journal commit listener that throws is logged too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { MemoryJournal } from '../../../src/journal/index.js';
import { discovered, fixture } from './fixture.js';

function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) },
  );
  return { log, lines };
}

test('a resolver bug answers INTERNAL and is logged with its stack, never as a process warning', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (w: Error): number => warnings.push(w);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const { log, lines } = capture();
  const f = await fixture({ log });
  t.after(() => f.close());
  f.api.journal.stats = () => Promise.reject(new TypeError('a bug'));
  const r = await f.query<{ errors?: { extensions?: { code?: string } }[] }>('{ journal { headSeq } }');
  assert.equal(r.errors?.[0]?.extensions?.code, 'INTERNAL');
  const line = lines.find((l) => String(l['msg']).includes('GraphQL resolver failed'));
  assert.ok(line, 'logged');
  assert.match(String((line['err'] as { stack?: string }).stack), /TypeError: a bug/);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(warnings, []);
});

test('a journal commit listener that throws is logged on the journal logger', async () => {
  const { log, lines } = capture();
  const j = new MemoryJournal(undefined, { log });
  j.onCommit(() => {
    throw new Error('listener bug');
  });
  await j.append([discovered('', '192.0.2.1/32', 'eth0', 2)]);
  await j.close();
  assert.ok(lines.some((l) => l['msg'] === 'a journal commit listener threw' && l['level'] === 50));
});
