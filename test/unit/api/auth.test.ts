// Access control in-process (yoga.fetch): who may read, who may change state, and that a refused request
// runs nothing. The real daemon's token checks are in test/integration/ops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiAccess, createYoga, isLoopbackHost, isLoopbackIp } from '../../../src/api/index.js';
import type { AdminOperations, ApiYoga } from '../../../src/api/index.js';
import { RibjournalError } from '../../../src/shared/index.js';
import { discovered, fixture } from './fixture.js';
import type { Fixture } from './fixture.js';

const TOKEN = 'k8s-Secret.token_0123456789';

interface Calls {
  reload: number;
  reconcile: number;
  backup: number;
}

function adminOps(calls: Calls, reload?: () => Promise<never>): AdminOperations {
  return {
    reload: async () => {
      calls.reload++;
      if (reload) return reload();
      return { changed: true, configVersion: 2, warnings: [] };
    },
    reconcile: async () => {
      calls.reconcile++;
      return 3;
    },
    backup: async (outDir) => {
      calls.backup++;
      return { location: outDir, events: 1, bytes: 100 };
    },
  };
}

async function setup(
  t: { after(fn: () => unknown): void },
  access: ApiAccess,
  reload?: () => Promise<never>,
): Promise<{ f: Fixture; yoga: ApiYoga; calls: Calls }> {
  const f = await fixture();
  await f.append(discovered('', '192.0.2.10/32', 'kubelb0', 3));
  const calls: Calls = { reload: 0, reconcile: 0, backup: 0 };
  const yoga = createYoga(
    { ...f.api, admin: adminOps(calls, reload) },
    { access, metrics: { contentType: 'text/plain; version=0.0.4', metrics: async () => 'up 1\n' } },
  );
  t.after(async () => {
    await yoga.dispose();
    await f.close();
  });
  return { f, yoga, calls };
}

async function post(
  yoga: ApiYoga,
  query: string,
  authorization?: string,
): Promise<{
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
  headers: Headers;
}> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
  };
  if (authorization !== undefined) headers['authorization'] = authorization;
  const res = await yoga.fetch('http://ribjournal.test/graphql', {
    method: 'POST',
    headers,
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: (await res.json()) as never, headers: res.headers };
}

async function get(yoga: ApiYoga, path: string, authorization?: string): Promise<Response> {
  return yoga.fetch(`http://ribjournal.test${path}`, {
    headers: authorization === undefined ? {} : { authorization },
  });
}

const QUERY = '{ journal { headSeq } }';
const MUTATIONS = '{ reconcile { corrections } }';

test('a non-loopback API with a token: nothing but health without it, everything with it', async (t) => {
  const { yoga, calls } = await setup(t, new ApiAccess(false, { token: TOKEN }));
  for (const auth of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
    const r = await post(yoga, QUERY, auth);
    assert.equal(r.status, 401, `query with ${auth}`);
    assert.equal(r.body.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="ribjournal"');
    assert.ok(!JSON.stringify(r.body).includes(TOKEN), 'the token is never echoed');
    const m = await post(yoga, `mutation ${MUTATIONS}`, auth);
    assert.equal(m.status, 401);
    assert.equal((await get(yoga, '/metrics', auth)).status, 401);
  }
  assert.deepEqual(calls, { reload: 0, reconcile: 0, backup: 0 }, 'a refused request ran nothing');
  assert.equal((await get(yoga, '/healthz')).status, 200);
  assert.equal((await get(yoga, '/readyz')).status, 200);

  const ok = await post(yoga, QUERY, `Bearer ${TOKEN}`);
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body.data, { journal: { headSeq: '1' } });
  assert.equal(await (await get(yoga, '/metrics', `bearer ${TOKEN}`)).text(), 'up 1\n');
  const m = await post(yoga, `mutation { reconcile { corrections headSeq } }`, `Bearer ${TOKEN}`);
  assert.equal(m.status, 200);
  assert.deepEqual(m.body.data, { reconcile: { corrections: 3, headSeq: '1' } });
  assert.equal(calls.reconcile, 1);
});

test('anonymous-read opens queries and /metrics, not mutations (FORBIDDEN, and none of it runs)', async (t) => {
  const { yoga, calls } = await setup(t, new ApiAccess(false, { token: TOKEN, anonymousRead: true }));
  const q = await post(yoga, QUERY);
  assert.equal(q.status, 200);
  assert.deepEqual(q.body.data, { journal: { headSeq: '1' } });
  assert.equal((await get(yoga, '/metrics')).status, 200);
  const m = await post(
    yoga,
    'mutation { reconcile { corrections } reload { changed } backup(outDir: "/tmp/x") { location } }',
  );
  assert.equal(m.status, 401);
  assert.equal(m.body.errors?.length, 1);
  assert.equal(m.body.errors?.[0]?.extensions?.['code'], 'FORBIDDEN');
  assert.equal(m.body.errors?.[0]?.extensions?.['http'], undefined, 'internals stay inside');
  assert.equal(m.body.data ?? undefined, undefined);
  assert.deepEqual(calls, { reload: 0, reconcile: 0, backup: 0 });
  // A wrong token is still refused, even where anonymous reading is open.
  assert.equal((await post(yoga, QUERY, 'Bearer nope')).status, 401);
});

test('on loopback without a token reading is open and state changes are refused with TOKEN_NOT_CONFIGURED', async (t) => {
  const { yoga, calls } = await setup(t, new ApiAccess(true));
  assert.equal((await post(yoga, QUERY)).status, 200);
  // A client that sends a token the daemon does not have is only anonymous.
  assert.equal((await post(yoga, QUERY, `Bearer ${TOKEN}`)).status, 200);
  const m = await post(yoga, 'mutation { reload { changed } }', `Bearer ${TOKEN}`);
  assert.equal(m.status, 403);
  assert.equal(m.body.errors?.[0]?.extensions?.['code'], 'TOKEN_NOT_CONFIGURED');
  assert.match(m.body.errors?.[0]?.message ?? '', /token-file/);
  assert.equal(calls.reload, 0);
});

test('on loopback with a token, state changes still need it', async (t) => {
  const { yoga, calls } = await setup(t, new ApiAccess(true, { token: TOKEN }));
  assert.equal((await post(yoga, QUERY)).status, 200);
  const m = await post(yoga, 'mutation { reload { changed } }');
  assert.equal(m.status, 401);
  assert.equal(m.body.errors?.[0]?.extensions?.['code'], 'FORBIDDEN');
  const ok = await post(
    yoga,
    'mutation { reload { changed configVersion warnings headSeq } }',
    `Bearer ${TOKEN}`,
  );
  assert.deepEqual(ok.body.data, { reload: { changed: true, configVersion: 2, warnings: [], headSeq: '1' } });
  const b = await post(yoga, 'mutation { backup(outDir: "relative/dir") { location } }', `Bearer ${TOKEN}`);
  assert.equal(b.body.errors?.[0]?.extensions?.['code'], 'BAD_ARGUMENT');
  assert.equal(calls.backup, 0);
  const b2 = await post(
    yoga,
    'mutation { backup(outDir: "/var/backups/rj") { location events bytes } }',
    `Bearer ${TOKEN}`,
  );
  assert.deepEqual(b2.body.data, { backup: { location: '/var/backups/rj', events: '1', bytes: '100' } });
  assert.equal(calls.reload, 1);
});

test('an invalid config on reload comes back as CONFIG_INVALID with its problems', async (t) => {
  const problem = { path: 'netlink.import.vrf', line: 4, message: 'no VRF named "nope"' };
  const { yoga } = await setup(t, new ApiAccess(true, { token: TOKEN }), async () => {
    throw new RibjournalError('CONFIG_INVALID', '/etc/rj.toml:4: netlink.import.vrf: no VRF named "nope"', {
      details: { file: '/etc/rj.toml', problems: [problem], warnings: [] },
    });
  });
  const r = await post(yoga, 'mutation { reload { changed } }', `Bearer ${TOKEN}`);
  assert.equal(r.body.errors?.[0]?.extensions?.['code'], 'CONFIG_INVALID');
  assert.deepEqual(r.body.errors?.[0]?.extensions?.['problems'], [problem]);
  assert.match(r.body.errors?.[0]?.message ?? '', /:4: netlink\.import\.vrf: no VRF named "nope"/);
});

test('a non-loopback listener with neither a token nor anonymous-read is refused, naming the keys', () => {
  assert.throws(
    () => new ApiAccess(false, {}),
    (err: unknown) =>
      err instanceof RibjournalError &&
      err.code === 'CONFIG_INVALID' &&
      /\[api\] token-file/.test(err.message) &&
      /RIBJOURNAL_TOKEN/.test(err.message) &&
      /anonymous-read/.test(err.message),
  );
  assert.doesNotThrow(() => new ApiAccess(false, { anonymousRead: true }));
  assert.doesNotThrow(() => new ApiAccess(false, { token: TOKEN }));
  assert.doesNotThrow(() => new ApiAccess(true, {}));
});

test('loopback addresses', async () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackIp(a), a);
  for (const a of ['0.0.0.0', '::', '10.0.0.1', '192.0.2.1', '2001:db8::1', 'fe80::1']) {
    assert.ok(!isLoopbackIp(a), a);
  }
  assert.ok(await isLoopbackHost('localhost'));
  assert.ok(await isLoopbackHost('[::1]'));
  assert.ok(!(await isLoopbackHost('0.0.0.0')));
});

test('an operation for which no authorization decision was recorded is refused, never read by default', async (t) => {
  const { yoga, calls } = await setup(t, new ApiAccess(true, { token: TOKEN }));
  // A path around the front door (neither the HTTP check nor the WebSocket connection_init ran).
  const { schema, execute, contextFactory, parse } = yoga.getEnveloped({});
  const contextValue = await contextFactory();
  for (const query of ['{ journal { headSeq } }', 'mutation { reconcile { corrections } }']) {
    const result = (await execute({ schema, document: parse(query), contextValue })) as {
      data?: unknown;
      errors?: readonly { extensions?: Record<string, unknown> }[];
    };
    assert.equal(result.data ?? null, null, query);
    assert.equal(result.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED', query);
  }
  assert.equal(calls.reconcile, 0);
});
