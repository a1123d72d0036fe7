// Real nats-server processes (Debian's package) for the fleet tests and benchmarks: one server or a
// JetStream cluster on loopback ports picked free at run time, each in a temp dir; servers can be killed
// and restarted; `stop` kills everything and removes the dirs (register it in an after hook).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './deadline.js';

const handedOut = new Set<number>();

/** A loopback port free now and not handed out before by this process. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await anyFreePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

async function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Member {
  readonly name: string;
  readonly port: number;
  readonly clusterPort: number;
  readonly monitorPort: number;
  readonly conf: string;
  proc: ChildProcess | undefined;
}

export interface NatsCluster {
  /** nats:// URLs of every server. */
  readonly urls: readonly string[];
  readonly size: number;
  /** Kills server i (SIGKILL); its data stays for a restart. */
  kill(i: number): Promise<void>;
  /** Starts server i again and waits until it serves. */
  restart(i: number): Promise<void>;
  /** Waits until JetStream has a meta leader (the cluster can take stream operations). */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `size` nats-server processes with JetStream, clustered when size > 1. */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'ribjournal-nats-'));
  const members: Member[] = [];
  for (let i = 0; i < size; i++) {
    members.push({
      name: `n${i}`,
      port: await freePort(),
      clusterPort: await freePort(),
      monitorPort: await freePort(),
      conf: join(dir, `n${i}.conf`),
      proc: undefined,
    });
  }
  for (const m of members) {
    const routes = members.filter((o) => o !== m).map((o) => `nats-route://127.0.0.1:${o.clusterPort}`);
    const cluster =
      size > 1
        ? `cluster { name: rj\n  listen: 127.0.0.1:${m.clusterPort}\n  routes: [${routes.join(', ')}] }\n`
        : '';
    await writeFile(
      m.conf,
      `server_name: ${m.name}\nlisten: 127.0.0.1:${m.port}\nhttp: 127.0.0.1:${m.monitorPort}\n` +
        `jetstream { store_dir: "${join(dir, m.name)}" }\n${cluster}`,
    );
  }
  const all = new Set<ChildProcess>();
  const start = async (m: Member): Promise<void> => {
    const proc = spawn('nats-server', ['-c', m.conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    all.add(proc);
    proc.once('exit', () => all.delete(proc));
    m.proc = proc;
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`nats-server ${m.name} exited: ${err}`);
        const r = await fetch(`http://127.0.0.1:${m.monitorPort}/healthz`).catch(() => undefined);
        return r?.ok === true;
      },
      `nats-server ${m.name} to serve`,
      15_000,
      50,
    );
  };
  const stop = async (): Promise<void> => {
    for (const p of all) p.kill('SIGKILL');
    await Promise.all(
      [...all].map(
        (p) =>
          new Promise<void>((resolve) => (p.exitCode !== null ? resolve() : p.once('exit', () => resolve()))),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(members.map((m) => start(m)));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    urls: members.map((m) => `nats://127.0.0.1:${m.port}`),
    size,
    async kill(i) {
      const p = members[i]!.proc;
      members[i]!.proc = undefined;
      if (p === undefined || p.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
      p.kill('SIGKILL');
      await exited;
    },
    async restart(i) {
      const m = members[i]!;
      if (m.proc !== undefined && m.proc.exitCode === null) return;
      await start(m);
    },
    async ready() {
      await waitFor(
        async () => {
          for (const m of members) {
            if (m.proc === undefined) continue;
            const r = await fetch(`http://127.0.0.1:${m.monitorPort}/jsz`).catch(() => undefined);
            if (r?.ok !== true) continue;
            const body = (await r.json()) as { meta_cluster?: { leader?: string } };
            if (size === 1 || (body.meta_cluster?.leader ?? '') !== '') return true;
          }
          return false;
        },
        'a JetStream meta leader',
        20_000,
        100,
      );
    },
    stop,
  };
}

/** A TCP proxy in front of one server: `cut` drops every connection and refuses new ones until `mend`. */
export interface CuttableProxy {
  readonly url: string;
  cut(): Promise<void>;
  mend(): Promise<void>;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<CuttableProxy> {
  const { hostname, port: targetPort } = new URL(target);
  const port = await freePort();
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = tcpConnect(Number(targetPort), hostname);
    sockets.add(client);
    sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const cut = async (): Promise<void> => {
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    sockets.clear();
    await closed;
  };
  await listen();
  return { url: `nats://127.0.0.1:${port}`, cut, mend: listen, close: cut };
}
