// Network namespaces for tests: each test makes its own (unique name), builds veth pairs and addresses
// in it with iproute2, and has it removed afterwards even when the test fails (t.after), or at process
// exit at the latest. Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN).
//
//   const ns = await createNetns(t);
//   await ns.addVeth('a', 'b');
//   await ns.addAddress('a', '10.0.0.1/24');
//   await exec(ns, ['ip', '-j', 'addr']);       // or ns.exec([...]); a string runs through sh -c
//
// iproute2 abbreviates keywords: `ip link add a ...` reads "a" as "address". The helpers always write
// `name X` / `dev X`; do the same in raw commands.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { scaled } from './deadline.js';

/** Anything with node:test's TestContext.after (the test's own context). */
export interface AfterHook {
  after(fn: () => unknown): unknown;
}

/** A non-zero exit of a command run by these helpers, with what it printed. */
export class CommandError extends Error {
  readonly argv: readonly string[];
  readonly code: number | null;
  readonly stderr: string;
  constructor(argv: readonly string[], code: number | null, signal: string | null, stderr: string) {
    super(`${argv.join(' ')} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`);
    this.name = 'CommandError';
    this.argv = argv;
    this.code = code;
    this.stderr = stderr;
  }
}

export interface RunOptions {
  /** Written to the command's standard input. */
  readonly input?: string;
  /** Killed (SIGKILL) after this long; default 60 s. */
  readonly timeoutMs?: number;
}

/** Runs a program (no shell) and resolves with its stdout; rejects with CommandError on failure. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('run: empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), scaled(opts.timeoutMs ?? 60_000));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new CommandError(argv, code, signal, stderr));
    });
    child.stdin.on('error', () => undefined); // a command that exits without reading its input
    child.stdin.end(opts.input ?? '');
  });
}

/** An address as `ip -j addr` shows it, flattened. */
export interface IpAddress {
  readonly ifindex: number;
  readonly ifname: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly address: string;
  readonly prefixLength: number;
  readonly tentative: boolean;
  readonly dadFailed: boolean;
}

/** A link as `ip -j link` shows it. */
export interface IpLink {
  readonly ifindex: number;
  readonly ifname: string;
  readonly flags: readonly string[];
  readonly operstate: string;
  readonly master: string | undefined;
  readonly kind: string | undefined;
}

export interface Netns {
  readonly name: string;
  /** Runs argv inside the namespace (`ip netns exec`); a string runs through `sh -c`. Resolves with stdout. */
  exec(cmd: readonly string[] | string, opts?: RunOptions): Promise<string>;
  /** `ip -n NAME ARGS...` */
  ip(...args: string[]): Promise<string>;
  /** Many iproute2 commands in one process (`ip -n NAME -batch -`): fast for thousands of addresses. */
  batch(lines: readonly string[]): Promise<void>;
  /** A veth pair a <-> b inside the namespace, both up unless told otherwise. */
  addVeth(a: string, b: string, opts?: { up?: boolean }): Promise<void>;
  /** `ip addr add CIDR dev DEV [nodad]` */
  addAddress(dev: string, cidr: string, opts?: { nodad?: boolean }): Promise<void>;
  delAddress(dev: string, cidr: string): Promise<void>;
  setUp(dev: string, up: boolean): Promise<void>;
  ifindex(dev: string): Promise<number>;
  links(): Promise<IpLink[]>;
  addresses(): Promise<IpAddress[]>;
  /** Polls until DEV's operstate is UP (veth carrier comes through the kernel's linkwatch, not at once). */
  waitOperUp(dev: string, timeoutMs?: number): Promise<void>;
  /**
   * Registers work to run before the namespace is removed (last registered first), e.g. stopping a
   * process that runs inside it. Errors are reported after the namespace is gone.
   */
  cleanup(fn: () => unknown): void;
  /** Runs the cleanups, kills what still runs inside, deletes the namespace. Idempotent. */
  remove(): Promise<void>;
}

/** Namespaces made by this process and not yet removed: the exit hook's work list. */
const live = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort for a test that never reached its t.after (process.exit, a crash in the runner).
  process.on('exit', () => {
    for (const name of live) removeSync(name);
  });
}

function pidsIn(name: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split(/\s+/)
      .filter((s) => /^\d+$/.test(s))
      .map(Number);
  } catch {
    return [];
  }
}

function removeSync(name: string): void {
  // Whatever runs inside was started by the test that made the namespace; while it runs the namespace
  // (and its interfaces) would outlive its name.
  for (const pid of pidsIn(name)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    // already gone
  }
  live.delete(name);
}

/** Runs a command inside a namespace (by name or handle); see Netns.exec. */
export function exec(
  ns: string | Netns,
  cmd: readonly string[] | string,
  opts?: RunOptions,
): Promise<string> {
  const name = typeof ns === 'string' ? ns : ns.name;
  const argv = typeof cmd === 'string' ? ['sh', '-c', cmd] : cmd;
  return run(['ip', 'netns', 'exec', name, ...argv], opts);
}

/** A fresh namespace `rjt-XXXXXXXX` (lo up), removed after the test `t` (or call remove()). */
export async function createNetns(t?: AfterHook, opts: { prefix?: string } = {}): Promise<Netns> {
  installExitHook();
  const prefix = opts.prefix ?? 'rjt';
  let name = '';
  for (let attempt = 0; ; attempt++) {
    name = `${prefix}-${randomBytes(4).toString('hex')}`;
    try {
      await run(['ip', 'netns', 'add', name]);
      break;
    } catch (err) {
      if (attempt < 5 && err instanceof CommandError && /exists/i.test(err.stderr)) continue;
      throw err;
    }
  }
  live.add(name);
  const ns = handle(name);
  // Registered before anything else can fail, so a failing setup still cleans up.
  t?.after(() => ns.remove());
  await ns.ip('link', 'set', 'dev', 'lo', 'up');
  return ns;
}

function handle(name: string): Netns {
  const ip = (...args: string[]): Promise<string> => run(['ip', '-n', name, ...args]);
  const cleanups: (() => unknown)[] = [];
  const ns: Netns = {
    name,
    exec: (cmd, opts) => exec(name, cmd, opts),
    ip,
    async batch(lines) {
      if (lines.length === 0) return;
      await run(['ip', '-n', name, '-batch', '-'], { input: `${lines.join('\n')}\n` });
    },
    async addVeth(a, b, opts = {}) {
      await ip('link', 'add', 'name', a, 'type', 'veth', 'peer', 'name', b);
      if (opts.up ?? true) {
        await ip('link', 'set', 'dev', a, 'up');
        await ip('link', 'set', 'dev', b, 'up');
      }
    },
    async addAddress(dev, cidr, opts = {}) {
      await ip('addr', 'add', cidr, 'dev', dev, ...(opts.nodad === true ? ['nodad'] : []));
    },
    async delAddress(dev, cidr) {
      await ip('addr', 'del', cidr, 'dev', dev);
    },
    async setUp(dev, up) {
      await ip('link', 'set', 'dev', dev, up ? 'up' : 'down');
    },
    async ifindex(dev) {
      const [link] = JSON.parse(await ip('-j', 'link', 'show', 'dev', dev)) as { ifindex: number }[];
      if (link === undefined) throw new Error(`no link ${dev} in ${name}`);
      return link.ifindex;
    },
    async links() {
      const raw = JSON.parse(await ip('-j', '-d', 'link', 'show')) as {
        ifindex: number;
        ifname: string;
        flags: string[];
        operstate: string;
        master?: string;
        linkinfo?: { info_kind?: string };
      }[];
      return raw.map((l) => ({
        ifindex: l.ifindex,
        ifname: l.ifname,
        flags: l.flags,
        operstate: l.operstate,
        master: l.master,
        kind: l.linkinfo?.info_kind,
      }));
    },
    async addresses() {
      const raw = JSON.parse(await ip('-j', 'addr', 'show')) as {
        ifindex: number;
        ifname: string;
        addr_info?: {
          family: string;
          local: string;
          prefixlen: number;
          tentative?: boolean;
          dadfailed?: boolean;
        }[];
      }[];
      return raw.flatMap((l) =>
        (l.addr_info ?? [])
          .filter((a) => a.family === 'inet' || a.family === 'inet6')
          .map((a) => ({
            ifindex: l.ifindex,
            ifname: l.ifname,
            family: a.family === 'inet' ? ('ipv4' as const) : ('ipv6' as const),
            address: a.local,
            prefixLength: a.prefixlen,
            tentative: a.tentative === true,
            dadFailed: a.dadfailed === true,
          })),
      );
    },
    async waitOperUp(dev, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [link] = JSON.parse(await ip('-j', 'link', 'show', 'dev', dev)) as { operstate: string }[];
        if (link?.operstate === 'UP') return;
        if (Date.now() > deadline)
          throw new Error(
            `${dev} in ${name} not operationally up after ${timeoutMs} ms (${link?.operstate})`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    cleanup(fn) {
      cleanups.push(fn);
    },
    async remove() {
      if (!live.has(name)) return;
      const errors: unknown[] = [];
      for (const fn of cleanups.splice(0).reverse()) {
        try {
          await fn();
        } catch (err) {
          errors.push(err);
        }
      }
      removeSync(name);
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, `cleanups of namespace ${name} failed`);
    },
  };
  return ns;
}
