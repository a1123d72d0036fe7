// Address churn at a steady rate in a test's namespace: veths dev0..devN-1 (made by makeChurnLinks),
// each with a pool of /32 addresses that one long-lived `ip -batch -` toggles in round-robin order, so
// that no address is touched twice within a cycle (two changes of one address in one observer batch
// would rightly net to nothing, and the per-address story below could not be told).
import { spawn } from 'node:child_process';
import type { Netns } from './netns.js';

/** What the churn did, per /32 prefix in order: '+' added, '-' removed. */
export interface ChurnLog {
  readonly ops: number;
  readonly byPrefix: ReadonlyMap<string, readonly ('+' | '-')[]>;
  /** Prefixes present at the end. */
  readonly present: ReadonlySet<string>;
  /** The interface of each prefix. */
  readonly deviceOf: ReadonlyMap<string, string>;
  readonly seconds: number;
}

export function churnDevice(i: number): string {
  return `dev${i}`;
}

/** veth pairs dev<i> <-> peer<i>, all up (checked by the caller with waitOperUp when it matters). */
export async function makeChurnLinks(ns: Netns, devices: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < devices; i++) {
    lines.push(
      `link add name ${churnDevice(i)} type veth peer name peer${i}`,
      `link set dev ${churnDevice(i)} up`,
      `link set dev peer${i} up`,
    );
  }
  await ns.batch(lines);
}

function prefixOf(device: number, k: number): string {
  return `10.${device}.${Math.floor(k / 250)}.${(k % 250) + 1}/32`;
}

/**
 * Toggles `perDevice` addresses on each of `devices` interfaces at `rate` operations per second for
 * `seconds`; resolves once `ip` has carried out every line (`seconds` in the result says how long that
 * took: more than asked means the machine could not keep the rate).
 */
export async function churn(
  ns: Netns,
  opts: { devices: number; perDevice: number; rate: number; seconds: number },
): Promise<ChurnLog> {
  const slots: { prefix: string; device: string; worker: number }[] = [];
  for (let k = 0; k < opts.perDevice; k++)
    for (let d = 0; d < opts.devices; d++)
      slots.push({ prefix: prefixOf(d, k), device: churnDevice(d), worker: d });
  const byPrefix = new Map<string, ('+' | '-')[]>();
  const deviceOf = new Map<string, string>();
  for (const s of slots) {
    byPrefix.set(s.prefix, []);
    deviceOf.set(s.prefix, s.device);
  }
  const present = new Set<string>();
  // Several `ip` processes, each owning some interfaces (so each address's changes stay in order):
  // one alone cannot keep 1000 operations/s on a loaded machine, as each waits for the kernel's ack.
  const workers = Array.from({ length: Math.min(4, opts.devices) }, () => {
    const ip = spawn('ip', ['-n', ns.name, '-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    ip.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const closed = new Promise<void>((resolve, reject) =>
      ip.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`ip -batch exited with ${code}: ${stderr.trim()}`)),
      ),
    );
    return { ip, closed, lines: [] as string[] };
  });
  const total = Math.round(opts.rate * opts.seconds);
  const started = performance.now();
  let done = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * opts.rate));
      for (; done < due; done++) {
        const s = slots[done % slots.length]!;
        const adding = !present.has(s.prefix);
        if (adding) present.add(s.prefix);
        else present.delete(s.prefix);
        byPrefix.get(s.prefix)!.push(adding ? '+' : '-');
        workers[s.worker % workers.length]!.lines.push(
          `addr ${adding ? 'add' : 'del'} ${s.prefix} dev ${s.device}`,
        );
      }
      for (const w of workers) {
        if (w.lines.length > 0) w.ip.stdin.write(w.lines.join('\n') + '\n');
        w.lines = [];
      }
      if (done >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 5);
  });
  for (const w of workers) w.ip.stdin.end();
  await Promise.all(workers.map((w) => w.closed));
  return { ops: total, byPrefix, present, deviceOf, seconds: (performance.now() - started) / 1000 };
}
