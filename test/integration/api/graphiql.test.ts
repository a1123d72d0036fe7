// GraphiQL in a real browser with no internet: Debian's headless Chromium, driven over the DevTools
// protocol, opens GET /graphql, runs a query from the editor and shows the answer, while every request
// the page and the browser make stays on 127.0.0.1 (the assets come from the package, not a CDN).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { config, discovered, fixture, serve, vanished } from '../../unit/api/fixture.js';
import { scaled } from '../../helpers/deadline.js';

const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const QUERY = '{ journal { headSeq events } }';

/** Flags for root on a machine without internet (the env skill's machine notes). */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

/** A minimal DevTools protocol client on one page target. */
class Cdp {
  private next = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  private readonly listeners: ((m: CdpMessage) => void)[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as CdpMessage;
      if (m.id !== undefined) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p?.reject(new Error(`CDP: ${m.error.message}`));
        else p?.resolve(m.result ?? {});
      } else for (const l of this.listeners) l(m);
    });
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('CDP connection closed'));
      this.pending.clear();
    });
  }

  static async connect(url: string): Promise<Cdp> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Cdp(ws);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  on(listener: (m: CdpMessage) => void): void {
    this.listeners.push(listener);
  }

  /** Evaluates an expression in the page and returns its (JSON) value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r['exceptionDetails'] !== undefined) {
      throw new Error(`page threw: ${JSON.stringify(r['exceptionDetails'])}`);
    }
    return (r['result'] as { value: T }).value;
  }

  close(): void {
    this.ws.close();
  }
}

async function until<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined>,
  explain: () => string,
): Promise<T> {
  const deadline = Date.now() + scaled(ms);
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${explain()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts Chromium with a DevTools port and returns the browser's WebSocket URL (from its stderr). */
function launch(args: string[]): { child: ChildProcess; endpoint: Promise<string>; stderr: () => string } {
  const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const endpoint = new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`chromium exited (${code ?? signal}) before DevTools was up:\n${err}`)),
    );
  });
  return { child, endpoint, stderr: () => err };
}

interface NetLogRequest {
  url: string;
  initiator?: string;
  network_isolation_key?: string;
}

/**
 * The URL requests in a Chromium net log (--log-net-log), each with who started it. The browser's own
 * background requests have no origin and a null or google.com isolation key; the page's carry its site.
 */
function netLogRequests(text: string): NetLogRequest[] {
  let log: {
    constants: { logEventTypes: Record<string, number> };
    events: { type: number; params?: unknown }[];
  };
  try {
    log = JSON.parse(text) as typeof log;
  } catch {
    log = JSON.parse(`${text.trimEnd().replace(/,$/, '')}]}`) as typeof log; // cut short by a kill
  }
  const startJob = log.constants.logEventTypes['URL_REQUEST_START_JOB'];
  return log.events
    .filter((e) => e.type === startJob && typeof (e.params as NetLogRequest | undefined)?.url === 'string')
    .map((e) => e.params as NetLogRequest);
}

test('GraphiQL works offline in headless Chromium: editor renders, a query runs, nothing leaves 127.0.0.1', async (t) => {
  try {
    await access(CHROMIUM, constants.X_OK);
  } catch {
    assert.fail(
      `${CHROMIUM} is not installed: this test needs Debian's chromium (apt-get install chromium; .ci/run installs it)`,
    );
  }

  const f = await fixture();
  const head = await f.append(
    config(1, [{ name: 'red', rd: '65000:1', rt: '65000:1', interfaces: ['eth1'] }]),
    discovered('red', '10.1.0.0/24', 'eth1', 3),
    discovered('red', '10.2.0.0/24', 'eth1', 3),
    vanished('red', '10.1.0.0/24', 'eth1'),
  );
  const server = await serve(f);
  const profile = await mkdtemp(join(tmpdir(), 'ribjournal-chromium-'));
  const netLog = join(profile, 'netlog.json');
  let browser: ReturnType<typeof launch> | undefined;
  let cdp: Cdp | undefined;
  try {
    browser = launch([
      ...FLAGS,
      `--user-data-dir=${profile}`,
      // Chromium's autofill asks Google about the page's forms (tagged with the page's site in the net
      // log): the browser's doing, not GraphiQL's, so switch it off rather than excuse it.
      '--disable-features=AutofillServerCommunication',
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      `--log-net-log=${netLog}`,
      '--net-log-capture-mode=Default',
      'about:blank',
    ]);
    const endpoint = await Promise.race([
      browser.endpoint,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`chromium did not open DevTools in 20 s:\n${browser!.stderr()}`)),
          scaled(20_000),
        ).unref(),
      ),
    ]);
    const devtools = new URL(endpoint);
    const targets = (await (await fetch(`http://${devtools.host}/json/list`)).json()) as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const page = targets.find((t) => t.type === 'page');
    assert.ok(page, `no page target in ${JSON.stringify(targets)}`);
    cdp = await Cdp.connect(page.webSocketDebuggerUrl);

    const requested: string[] = [];
    const failed: string[] = [];
    const problems: string[] = [];
    cdp.on((m) => {
      const p = m.params ?? {};
      if (m.method === 'Network.requestWillBeSent') {
        requested.push((p['request'] as { url: string }).url);
      } else if (m.method === 'Network.webSocketCreated') {
        requested.push(p['url'] as string);
      } else if (m.method === 'Network.loadingFailed') {
        failed.push(`${p['errorText'] as string} (${p['type'] as string})`);
      } else if (m.method === 'Runtime.exceptionThrown') {
        problems.push(`exception: ${JSON.stringify(p['exceptionDetails'])}`);
      } else if (m.method === 'Log.entryAdded') {
        const e = p['entry'] as { level: string; text: string; url?: string };
        if (e.level === 'error') problems.push(`log: ${e.text} ${e.url ?? ''}`);
      }
    });
    await cdp.send('Network.enable');
    await cdp.send('Runtime.enable');
    await cdp.send('Log.enable');
    await cdp.send('Page.enable');

    // `/` leads to GraphiQL, which opens (a fresh profile: no saved tabs) on ribjournal's own examples.
    const root = server.url.replace(/\/graphql$/, '/');
    const redirect = await fetch(root, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), '/graphql');
    await cdp.send('Page.navigate', { url: root });
    let lastTabs = '';
    const tabs = await until(
      "ribjournal's example tabs",
      30_000,
      async () => {
        const s = await cdp!.evaluate<{ title: string; url: string; tabs: string[]; editor: string }>(`({
          title: document.title,
          url: location.href,
          tabs: [...document.querySelectorAll('.graphiql-tab')].map((e) => e.innerText.trim()),
          editor: document.querySelector('.graphiql-query-editor')?.innerText ?? '',
        })`);
        lastTabs = JSON.stringify(s);
        return s.tabs.length === 4 && s.editor.includes('rib(') ? s : undefined;
      },
      () => `requests: ${requested.join(' ')}\n${problems.join('\n')}\nlast: ${lastTabs}`,
    );
    assert.equal(tabs.title, 'ribjournal');
    assert.equal(tabs.url, server.url);
    assert.deepEqual(tabs.tabs, ['GlobalRib', 'VrfRib', 'PrefixHistory', 'RouteChanges']);
    assert.match(tabs.editor, /query\sGlobalRib/); // CodeMirror shows spaces as U+00A0

    const pageUrl = `${server.url}?query=${encodeURIComponent(QUERY)}`;
    const nav = await cdp.send('Page.navigate', { url: pageUrl });
    assert.equal(nav['errorText'], undefined, `navigation to ${pageUrl} failed`);
    const explain = (): string =>
      [
        `requests: ${requested.join(' ')}`,
        `failed: ${failed.join('; ')}`,
        ...problems,
        `body: ${bodyText.slice(0, 500)}`,
      ].join('\n');
    let bodyText = '';

    // The editor renders (a CDN page would sit at "Loading…") and holds the query from the URL.
    await until(
      'the GraphiQL editor',
      30_000,
      async () => {
        const s = await cdp!.evaluate<{
          container: boolean;
          execute: boolean;
          editor: string;
          body: string;
        }>(`({
          container: !!document.querySelector('.graphiql-container'),
          execute: !!document.querySelector('.graphiql-execute-button'),
          editor: document.querySelector('.graphiql-query-editor')?.innerText ?? '',
          body: document.body?.innerText ?? '',
        })`);
        bodyText = s.body;
        return s.container && s.execute && s.editor.includes('headSeq') ? s : undefined;
      },
      explain,
    );
    assert.ok(!bodyText.trim().startsWith('Loading'), `the page shows only "Loading…": ${bodyText}`);

    // Run it with the execute button; the answer appears in the response pane.
    await cdp.evaluate(`document.querySelector('.graphiql-execute-button').click()`);
    const response = await until(
      'the query result in the response pane',
      20_000,
      async () => {
        const text = await cdp!.evaluate<string>(
          `document.querySelector('.graphiql-response')?.innerText ?? ''`,
        );
        const flat = text.replace(/\s+/g, '');
        return flat.includes(`"headSeq":"${head}"`) ? flat : undefined;
      },
      explain,
    );
    assert.match(response, new RegExp(`"events":"${head}"`));
    assert.ok(
      requested.some((u) => u.startsWith(server.url) && u !== pageUrl),
      `the query went to the API: ${requested.join(' ')}`,
    );

    // Nothing outside 127.0.0.1, in the page's own log and in the browser's net log.
    const outside = requested.filter(
      (u) => !/^(?:data|blob|about|chrome|devtools):/.test(u) && new URL(u).hostname !== '127.0.0.1',
    );
    assert.deepEqual(outside, [], 'the page made requests outside 127.0.0.1');
    assert.deepEqual(problems, [], 'the page logged errors');

    await cdp.send('Browser.close').catch(() => undefined);
    await Promise.race([
      new Promise((r) => browser!.child.once('exit', r)),
      new Promise((r) => setTimeout(r, scaled(5_000)).unref()),
    ]);
    const all = netLogRequests(await readFile(netLog, 'utf8'));
    const fromPage = all.filter((r) =>
      `${r.initiator ?? ''} ${r.network_isolation_key ?? ''}`.includes('127.0.0.1'),
    );
    assert.ok(
      fromPage.some((r) => r.url.startsWith(server.url)),
      `the net log has the page's requests: ${all.map((r) => r.url).join(' ')}`,
    );
    assert.deepEqual(
      fromPage.filter((r) => new URL(r.url).hostname !== '127.0.0.1').map((r) => r.url),
      [],
      'the page made requests outside 127.0.0.1 (net log)',
    );
    // Chromium itself still phones home (time, account and update checks) despite the flags; that is
    // the browser, not GraphiQL, so it is only reported.
    const own = [...new Set(all.filter((r) => !fromPage.includes(r)).map((r) => new URL(r.url).host))];
    if (own.length > 0) t.diagnostic(`chromium's own background requests (not the page): ${own.join(' ')}`);
  } finally {
    cdp?.close();
    if (browser && browser.child.exitCode === null && browser.child.signalCode === null) {
      const exited = new Promise((r) => browser!.child.once('exit', r));
      browser.child.kill('SIGKILL');
      await exited;
    }
    await server.close();
    await f.close();
    await rm(profile, { recursive: true, force: true });
  }
});
