// The speaker's reconfigure chain (issue 10.7): one reconfigure that fails does not stop the later ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startSpeaker } from '../../../src/bgp/index.js';
import { parseConfig } from '../../../src/config/index.js';
import { MemoryJournal } from '../../../src/journal/index.js';
import { ProjectionRunner, Rib } from '../../../src/projections/index.js';

const GLOBAL =
  '[global.config]\n  as = 64551\n  router-id = "192.0.2.1"\n  port = 0\n  local-address-list = ["127.0.0.1"]\n';
const NEIGHBOR =
  '[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "127.0.0.2"\n    peer-as = 64552\n  [neighbors.transport.config]\n    passive-mode = true\n';

test('a reconfigure that fails leaves later reconfigures working', async (t) => {
  const journal = new MemoryJournal();
  const log = pino({ level: 'silent' });
  const projections = new ProjectionRunner({ journal, log });
  const speaker = await startSpeaker({
    config: parseConfig(GLOBAL).config,
    rib: new Rib(),
    projections,
    log,
  });
  t.after(async () => {
    await speaker.stop();
    await projections.stop();
    await journal.close();
  });
  const broken = new Proxy(parseConfig(GLOBAL).config, {
    get(target, key) {
      if (key === 'global') throw new Error('broken config');
      return Reflect.get(target, key) as unknown;
    },
  });
  await assert.rejects(speaker.reconfigure(broken), /broken config/);
  await speaker.reconfigure(parseConfig(GLOBAL + NEIGHBOR).config);
  assert.deepEqual(
    speaker.neighbors().map((n) => n.address),
    ['127.0.0.2'],
    'the reconfigure after the failed one was applied',
  );
});
