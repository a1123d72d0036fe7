// Access control on a real daemon bound to a non-loopback address inside a namespace: requests without
// or with a wrong token are refused AND change nothing; the token opens everything, including a reload
// that moves an interface between VRFs; anonymous-read opens reading only; WebSocket connections check
// the token too; the daemon refuses to start open to no one; the token never reaches the logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNetns } from '../../helpers/netns.js';
import type { Netns } from '../../helpers/netns.js';
import { tempJournalDir } from '../../helpers/daemon.js';
import { kubelbConfig } from '../../helpers/configs.js';
import { parseExposition, value } from '../../unit/metrics/prom-text.js';
import { brief, gql, http, journalEvents, startServe, until, wsSession } from './harness.js';

const TOKEN = 'c2VjcmV0LXRva2VuLWZvci1yaWJqb3VybmFs';
const LISTEN = '10.99.0.1:8179';
const BASE = `http://${LISTEN}`;
const URL_ = `${BASE}/graphql`;

const apiConfig = (kubelbVrf: string, api: string): string =>
  kubelbConfig({ kubelbVrf, extra: `[api]\n${api}\n` });

async function namespace(t: Parameters<typeof createNetns>[0]): Promise<Netns> {
  const ns = await createNetns(t);
  await ns.addVeth('api0', 'api0-p');
  await ns.addAddress('api0', '10.99.0.1/24');
  await ns.addVeth('kubelb0', 'kubelb0-p');
  await ns.addVeth('eth1', 'eth1-p');
  await ns.waitOperUp('kubelb0');
  await ns.waitOperUp('eth1');
  await ns.waitOperUp('api0');
  await ns.addAddress('kubelb0', '192.0.2.10/32');
  await ns.addAddress('eth1', '10.1.0.1/24');
  return ns;
}

/** The global table and customer-a as the API shows them (with the token). */
async function ribs(ns: Netns, token: string): Promise<string> {
  const r = await gql<{ g: { nodes: { prefix: string }[] }; a: { nodes: { prefix: string }[] } }>(
    ns,
    URL_,
    '{ g: rib(vrf: "global") { nodes { prefix } } a: rib(vrf: "customer-a") { nodes { prefix } } }',
    token,
  );
  assert.ok(r.data, JSON.stringify(r.errors));
  return `global: ${r.data.g.nodes.map((n) => n.prefix).join(' ')}; customer-a: ${r.data.a.nodes.map((n) => n.prefix).join(' ')}`;
}

async function head(ns: Netns, token: string): Promise<string> {
  const r = await gql<{ journal: { headSeq: string } }>(ns, URL_, '{ journal { headSeq } }', token);
  assert.ok(r.data, JSON.stringify(r.errors));
  return r.data.journal.headSeq;
}

test('a non-loopback listener with neither a token nor anonymous-read refuses to start, before touching the journal', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('api0', 'api0-p');
  await ns.addAddress('api0', '10.99.0.1/24');
  const dir = await tempJournalDir(t);
  const file = join(dir, 'ribjournal.toml');
  await writeFile(file, apiConfig('global', `  listen = "${LISTEN}"`));
  const jdir = join(dir, 'j');
  const serve = startServe(ns, ['-f', file, '--journal', jdir], { inside: true });
  assert.equal(await serve.exited, 2);
  const out = serve.output();
  assert.match(out, /non-loopback/);
  assert.match(out, /\[api\] token-file/);
  assert.match(out, /RIBJOURNAL_TOKEN_FILE \/ RIBJOURNAL_TOKEN/);
  assert.match(out, /\[api\] anonymous-read = true/);
  await assert.rejects(stat(jdir), { code: 'ENOENT' }, 'the journal was not created');
  // --dry-run says the same.
  const dry = startServe(ns, ['-f', file, '--journal', jdir, '--dry-run'], { inside: true });
  assert.equal(await dry.exited, 2);
  assert.match(dry.output(), /\[api\] anonymous-read = true/);
});

test('with a token file: no token or a wrong one is refused and changes nothing; the token reloads, moving an interface', async (t) => {
  const ns = await namespace(t);
  const dir = await tempJournalDir(t);
  const file = join(dir, 'ribjournal.toml');
  await writeFile(join(dir, 'api-token'), `${TOKEN}\n`);
  await chmod(join(dir, 'api-token'), 0o600);
  const api = `  listen = "${LISTEN}"\n  token-file = "api-token"`;
  await writeFile(file, apiConfig('global', api));
  const jdir = join(dir, 'state', 'journal');
  const serve = startServe(ns, ['-f', file, '--journal', jdir], { inside: true });
  await serve.waitLog((l) => l.msg === 'API listening', 'API listening');
  await until('ready', async () => ((await http(ns, `${BASE}/readyz`)).status === 200 ? true : undefined));
  assert.equal((await http(ns, `${BASE}/healthz`)).status, 200, 'health needs no token');
  assert.equal((await stat(jdir)).mode & 0o777, 0o700, 'the journal directory is its owner’s only');

  // Reading needs the token here.
  for (const token of [undefined, 'wrong', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
    const q = await gql(ns, URL_, '{ journal { headSeq } }', token);
    assert.equal(q.status, 401, `token ${token}`);
    assert.equal(q.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
    const m = await http(
      ns,
      `${BASE}/metrics`,
      token ? { headers: { authorization: `Bearer ${token}` } } : {},
    );
    assert.equal(m.status, 401);
  }
  assert.equal((await gql(ns, URL_, '{ journal { headSeq } }', TOKEN)).status, 200);
  const metrics = await http(ns, `${BASE}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(metrics.status, 200);

  // The file now moves kubelb0 into customer-a; a reload without or with a wrong token changes nothing.
  await writeFile(file, apiConfig('customer-a', api));
  const before = await head(ns, TOKEN);
  const ribBefore = await ribs(ns, TOKEN);
  assert.equal(ribBefore, 'global: 192.0.2.10/32; customer-a: 10.1.0.0/24');
  for (const token of [undefined, 'wrong']) {
    const r = await gql(ns, URL_, 'mutation { reload { changed } }', token);
    assert.equal(r.status, 401);
    assert.equal(r.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
    assert.equal(r.data ?? undefined, undefined);
  }
  const wsWrong = await wsSession(ns, URL_, {
    payload: { authorization: 'Bearer wrong' },
    query: 'mutation { reload { changed } }',
  });
  assert.equal(wsWrong.acked, false);
  assert.equal(wsWrong.closeCode, 4401);
  assert.match(wsWrong.reason ?? '', /^UNAUTHENTICATED/);
  const wsNone = await wsSession(ns, URL_, {
    query: 'subscription { routeChanges(after: 0) { throughSeq } }',
  });
  assert.equal(wsNone.acked, false);
  assert.equal(wsNone.closeCode, 4401);
  assert.equal(await head(ns, TOKEN), before, 'the journal did not move');
  assert.equal(await ribs(ns, TOKEN), ribBefore, 'the config in force did not change');
  assert.ok(!serve.logs.some((l) => l.msg === 'config reloaded'));

  // With the token: ConfigApplied, then the moves it caused.
  const ok = await gql<{ reload: { changed: boolean; configVersion: number; headSeq: string } }>(
    ns,
    URL_,
    'mutation { reload { changed configVersion headSeq } }',
    TOKEN,
  );
  assert.equal(ok.status, 200, JSON.stringify(ok.errors));
  assert.equal(ok.data?.reload.changed, true);
  assert.equal(ok.data?.reload.configVersion, 2);
  const events = await journalEvents(ns, URL_, TOKEN);
  assert.deepEqual(events.filter((e) => Number(e.seq) > Number(before)).map(brief), [
    'config',
    '- global 192.0.2.10/32 kubelb0 config-changed',
    '+ customer-a 192.0.2.10/32 kubelb0',
  ]);
  assert.equal(ok.data?.reload.headSeq, events[events.length - 1]!.seq);
  assert.equal(await ribs(ns, TOKEN), 'global: ; customer-a: 10.1.0.0/24 192.0.2.10/32');

  // An invalid file: CONFIG_INVALID with the problems, nothing journaled, the running config kept.
  await writeFile(file, apiConfig('no-such-vrf', api));
  const afterReload = await head(ns, TOKEN);
  const bad = await gql(ns, URL_, 'mutation { reload { changed } }', TOKEN);
  assert.equal(bad.errors?.[0]?.extensions?.['code'], 'CONFIG_INVALID');
  assert.match(bad.errors?.[0]?.message ?? '', /netlink\.import\.vrf: .*no-such-vrf/);
  const problems = bad.errors?.[0]?.extensions?.['problems'] as { path: string; line: number }[];
  assert.equal(problems[0]?.path, 'netlink.import.vrf');
  assert.equal(problems[0]?.line, 7);
  assert.equal(await head(ns, TOKEN), afterReload);
  assert.equal(await ribs(ns, TOKEN), 'global: ; customer-a: 10.1.0.0/24 192.0.2.10/32');
  const m = parseExposition(
    (await http(ns, `${BASE}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).body,
  );
  assert.equal(value(m, 'ribjournal_config_reloads_total', { result: 'applied' }), 1);
  assert.equal(value(m, 'ribjournal_config_reloads_total', { result: 'rejected' }), 1);

  // WebSocket with the token in connection_init: subscriptions and mutations.
  const wsOk = await wsSession(ns, URL_, {
    payload: { authorization: `Bearer ${TOKEN}` },
    query: 'subscription { routeChanges(after: 0) { throughSeq changes { vrf } } }',
  });
  assert.equal(wsOk.acked, true);
  assert.equal(wsOk.messages[0]?.type, 'next', JSON.stringify(wsOk));
  const wsHeader = await wsSession(ns, URL_, {
    header: `Bearer ${TOKEN}`,
    query: 'mutation { reconcile { corrections } }',
  });
  assert.deepEqual(wsHeader.messages[0], {
    id: '1',
    type: 'next',
    payload: { data: { reconcile: { corrections: 0 } } },
  });

  assert.equal(await serve.stop(), 0);
  assert.ok(!serve.output().includes(TOKEN), 'the token is never logged');
});

test('anonymous-read opens queries, /metrics and subscriptions to all, state changes still only to the token', async (t) => {
  const ns = await namespace(t);
  const dir = await tempJournalDir(t);
  const file = join(dir, 'ribjournal.toml');
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, TOKEN, { mode: 0o600 });
  await writeFile(file, apiConfig('global', `  listen = "${LISTEN}"\n  anonymous-read = true`));
  const serve = startServe(ns, ['-f', file, '--journal', join(dir, 'j')], {
    inside: true,
    env: { RIBJOURNAL_TOKEN_FILE: tokenFile },
  });
  const listening = await serve.waitLog((l) => l.msg === 'API port open; the daemon is starting', 'API port');
  assert.equal(listening['token'], 'RIBJOURNAL_TOKEN_FILE', 'where the token came from, never the token');
  await until('ready', async () => ((await http(ns, `${BASE}/readyz`)).status === 200 ? true : undefined));

  const q = await gql(ns, URL_, '{ journal { headSeq } }');
  assert.equal(q.status, 200);
  assert.equal((await http(ns, `${BASE}/metrics`)).status, 200);
  const sub = await wsSession(ns, URL_, { query: 'subscription { routeChanges(after: 0) { throughSeq } }' });
  assert.equal(sub.acked, true);
  assert.equal(sub.messages[0]?.type, 'next');

  // A wrong token is still a wrong token.
  assert.equal((await gql(ns, URL_, '{ journal { headSeq } }', 'wrong')).status, 401);

  await writeFile(file, apiConfig('customer-a', `  listen = "${LISTEN}"\n  anonymous-read = true`));
  const before = await head(ns, TOKEN);
  const ribBefore = await ribs(ns, TOKEN);
  for (const op of [
    'reload { changed }',
    'reconcile { corrections }',
    'backup(outDir: "/tmp/rj-backup-anon") { location }',
  ]) {
    const r = await gql(ns, URL_, `mutation { ${op} }`);
    assert.equal(r.status, 401, op);
    assert.equal(r.errors?.[0]?.extensions?.['code'], 'FORBIDDEN', op);
    const ws = await wsSession(ns, URL_, { query: `mutation { ${op} }` });
    assert.equal(ws.acked, true);
    assert.equal(ws.messages[0]?.type, 'error', JSON.stringify(ws));
    const payload = ws.messages[0]?.payload as { extensions?: { code?: string } }[];
    assert.equal(payload[0]?.extensions?.code, 'FORBIDDEN');
  }
  await assert.rejects(stat('/tmp/rj-backup-anon'), { code: 'ENOENT' });
  assert.equal(await head(ns, TOKEN), before);
  assert.equal(await ribs(ns, TOKEN), ribBefore);
  assert.ok(!serve.logs.some((l) => l.msg === 'reload requested through the API'));

  // The token-holder backs the journal up into a fresh directory.
  const out = join(dir, 'backup');
  const b = await gql<{ backup: { location: string; events: string } }>(
    ns,
    URL_,
    `mutation { backup(outDir: "${out}") { location events } }`,
    TOKEN,
  );
  assert.deepEqual(b.data, { backup: { location: out, events: before } }, JSON.stringify(b.errors));
  assert.equal(await serve.stop(), 0);
  assert.ok(!serve.output().includes(TOKEN));
});
