// serve's log lines: readable on a terminal, JSON lines otherwise, --log-format to choose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { chooseLogFormat, createLogger } from '../../../src/cli/log.js';

function capture(format: 'pretty' | 'json'): { lines: () => string[]; log: ReturnType<typeof createLogger> } {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (s: string) => (text += s));
  return { log: createLogger('info', format, out), lines: () => text.trimEnd().split('\n') };
}

test('pretty on a terminal, JSON otherwise, unless --log-format says', () => {
  assert.equal(chooseLogFormat(undefined, true), 'pretty');
  assert.equal(chooseLogFormat(undefined, false), 'json');
  assert.equal(chooseLogFormat('json', true), 'json');
  assert.equal(chooseLogFormat('pretty', false), 'pretty');
  assert.throws(() => chooseLogFormat('xml', true), /--log-format must be one of pretty, json/);
});

test('a pretty line: local time, level, topic and message on one line, no pid', () => {
  const { log, lines } = capture('pretty');
  log
    .child({ topic: 'config' })
    .warn({ vrf: 'global', missing: ['kubelb0'] }, 'table global: kubelb0 missing');
  const [line] = lines();
  assert.match(
    line!,
    /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\] WARN: config: table global: kubelb0 missing /,
  );
  assert.ok(line!.endsWith('{"vrf":"global","missing":["kubelb0"]}'), line);
  assert.doesNotMatch(line!, /pid/);
  assert.equal(lines().length, 1);
});

test('a JSON line keeps pino fields (topic, vrf) for log shippers', () => {
  const { log, lines } = capture('json');
  log.child({ topic: 'api' }).info({ url: 'http://127.0.0.1:8179/graphql' }, 'API listening');
  const doc = JSON.parse(lines()[0]!) as Record<string, unknown>;
  assert.equal(doc['topic'], 'api');
  assert.equal(doc['msg'], 'API listening');
  assert.equal(doc['level'], 30);
});
