import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ClassicLevel } from 'classic-level';
import { JOURNAL_FORMAT_VERSION, openLevelJournal } from '../../../src/journal/index.js';
import type { LevelJournalOptions, WriteRecovery } from '../../../src/journal/index.js';
import { pino } from 'pino';
import { waitFor } from '../../helpers/deadline.js';
import type { Envelope } from '../../../src/events/index.js';
import { FakeClock, journalContract, readAll, rejectsWith, sampleEvents } from './contract.js';
import type { SpiedWrite } from './contract.js';

const JOURNAL_MODULE = new URL('../../../src/journal/index.ts', import.meta.url).href;

/** A fresh temp dir, removed after the test even when it fails. */
async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ribjournal-journal-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function open(t: TestContext, dir: string, options?: LevelJournalOptions) {
  const journal = await openLevelJournal(dir, options);
  t.after(() => journal.close());
  return journal;
}

journalContract(
  'LevelJournal',
  async (t, options) => {
    const dir = await tempDir(t);
    const spy = options?.writeSpy;
    const { writeSpy: _, ...rest } = options ?? {};
    return open(t, join(dir, 'journal'), spy ? { ...rest, wrapDb: (db) => spyDb(db, spy) } : rest);
  },
  { storage: true },
);

type SpyDb = ClassicLevel<Buffer, Buffer>;

/** A database spy: the real LevelDB, with every write and the options it was given reported to `spy`. */
function spyDb(db: SpyDb, spy: (w: SpiedWrite) => void): SpyDb {
  const track = <T>(entries: number, options: unknown, write: () => Promise<T>): Promise<T> => {
    const w: SpiedWrite = {
      entries,
      sync: (options as { sync?: boolean } | undefined)?.sync === true,
      done: false,
    };
    spy(w);
    return write().then((v) => {
      w.done = true;
      return v;
    });
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'put')
        return (k: Buffer, v: Buffer, o: object = {}) => track(1, o, () => target.put(k, v, o));
      if (prop === 'del') return (k: Buffer, o: object = {}) => track(1, o, () => target.del(k, o));
      if (prop === 'batch') {
        return (...args: unknown[]) => {
          if (args.length > 0) {
            const [ops, o] = args as [unknown[], object | undefined];
            return track(ops.length, o, () => target.batch(ops as never, o ?? {}));
          }
          const batch = target.batch();
          return new Proxy(batch, {
            get(b, p) {
              if (p === 'write') return (o: object = {}) => track(b.length, o, () => b.write(o));
              const v = Reflect.get(b, p, b) as unknown;
              return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(b) : v;
            },
          });
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Runs `code` (an ES module body with `openLevelJournal` and `dir` in scope) in a child node process. */
function child(t: TestContext, dir: string, code: string): ChildProcess {
  const body = `const { openLevelJournal } = await import(${JSON.stringify(JOURNAL_MODULE)});
    const dir = ${JSON.stringify(dir)};
    ${code}`;
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', body], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  return proc;
}

function exitOf(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  }
  return new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Resolves with the first stdout line for which `until` is true; rejects if the child exits first. */
function lines(proc: ChildProcess, until: (line: string) => boolean): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const rl = createInterface({ input: proc.stdout! });
    rl.on('line', (line) => {
      seen.push(line);
      if (until(line)) {
        rl.close();
        resolve(seen);
      }
    });
    proc.once('exit', (code, signal) =>
      reject(new Error(`child exited (${code ?? signal}) after ${seen.length} lines`)),
    );
  });
}

/** Rewrites one stored value with a raw LevelDB handle (the journal must be closed). */
async function tamper(
  dir: string,
  pick: (keys: Buffer[]) => Buffer,
  change: (value: Buffer) => void,
): Promise<Buffer> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  try {
    const keys = await db.keys({ gte: Buffer.from('e'), lt: Buffer.from('f') }).all();
    const key = pick(keys);
    const value = (await db.get(key))!;
    change(value);
    await db.put(key, value, { sync: true });
    return key;
  } finally {
    await db.close();
  }
}

void describe('LevelJournal', () => {
  void it('keeps head, content and time across a reopen and continues at head + 1', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    const clock = new FakeClock(7_000_000);
    const first = await openLevelJournal(dir, { clock });
    const written: Envelope[] = [];
    for (let i = 0; i < 20; i++) written.push(...(await first.append(sampleEvents(1 + i * 37, i * 100))));
    await first.close();

    clock.now = 6_000_000; // the clock went backwards while the daemon was down
    const again = await open(t, dir, { clock, create: false });
    assert.equal(again.head(), written.length);
    assert.deepEqual((await readAll(again)).envelopes, written);
    const more = await again.append(sampleEvents(3));
    assert.deepEqual(
      more.map((e) => e.seq),
      [written.length + 1, written.length + 2, written.length + 3],
    );
    assert.deepEqual(
      more.map((e) => e.time),
      [7_000_000, 7_000_000, 7_000_000],
    );
    const s = await again.stats();
    assert.equal(s.firstTime, 7_000_000);
    assert.ok(s.sizeOnDisk > 0, 'size on disk is counted');
  });

  void it('creates its directory readable by the owner only', async (t) => {
    const dir = join(await tempDir(t), 'state', 'journal');
    await open(t, dir);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  });

  void it('with create: false, refuses a missing journal with JOURNAL_NOT_FOUND and creates nothing', async (t) => {
    const parent = await tempDir(t);
    const dir = join(parent, 'missing');
    const err = await rejectsWith(() => openLevelJournal(dir, { create: false }), 'JOURNAL_NOT_FOUND');
    assert.match(err.message, /missing/);
    await assert.rejects(stat(dir), { code: 'ENOENT' });
    await rejectsWith(() => openLevelJournal(parent, { create: false }), 'JOURNAL_NOT_FOUND');
  });

  void it('refuses a journal already open in this process with JOURNAL_LOCKED', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    await open(t, dir);
    await rejectsWith(() => openLevelJournal(dir), 'JOURNAL_LOCKED');
  });

  void it(
    'refuses a journal held by another process with JOURNAL_LOCKED, and opens once it is released',
    { timeout: 30_000 },
    async (t) => {
      const dir = join(await tempDir(t), 'journal');
      const holder = child(
        t,
        dir,
        `const j = await openLevelJournal(dir);
       await j.append([{ type: 'RouteVanished', vrf: '', family: 'ipv4', prefix: '10.0.0.0/24', interface: 'eth0', reason: 'reconcile' }]);
       process.stdout.write('ready\\n');
       process.stdin.resume();
       process.stdin.on('end', () => { j.close().then(() => process.exit(0)); });`,
      );
      await lines(holder, (l) => l === 'ready');
      const err = await rejectsWith(() => openLevelJournal(dir), 'JOURNAL_LOCKED');
      assert.match(err.message, /in use by another process \(is a ribjournal daemon running on it\?\)/);
      assert.ok(err.message.includes(dir));

      holder.stdin!.end();
      assert.deepEqual(await exitOf(holder), { code: 0, signal: null });
      const j = await open(t, dir);
      assert.equal(j.head(), 1);
    },
  );

  void it('refuses a journal written in a newer format with JOURNAL_VERSION_NEWER', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    const j = await openLevelJournal(dir);
    await j.append(sampleEvents(2));
    await j.close();
    const db = new ClassicLevel(dir);
    await db.put('sformat', String(JOURNAL_FORMAT_VERSION + 1));
    await db.close();
    const err = await rejectsWith(() => openLevelJournal(dir), 'JOURNAL_VERSION_NEWER');
    assert.match(err.message, /newer/);
    // The refusal released the database.
    const db2 = new ClassicLevel(dir);
    await db2.put('sformat', String(JOURNAL_FORMAT_VERSION));
    await db2.close();
    const reopened = await open(t, dir);
    assert.equal(reopened.head(), 2);
  });

  void it('refuses a LevelDB database that is not a journal', async (t) => {
    const dir = join(await tempDir(t), 'other');
    const db = new ClassicLevel(dir);
    await db.put('something', 'else');
    await db.close();
    await rejectsWith(() => openLevelJournal(dir), 'JOURNAL_CORRUPT');
  });

  void it('refuses to open when the last block fails its checksum, naming the block', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    const j = await openLevelJournal(dir);
    await j.append(sampleEvents(10));
    await j.append(sampleEvents(5));
    await j.close();
    await tamper(
      dir,
      (keys) => keys[keys.length - 1]!,
      (value) => {
        value.writeUInt8(value.readUInt8(value.length - 3) ^ 0x01, value.length - 3);
      },
    );
    const err = await rejectsWith(() => openLevelJournal(dir), 'JOURNAL_CORRUPT');
    // The refusal says what is intact: the first block, and the records of the last one before the damage.
    assert.match(
      err.message,
      /events 1\.\.14 are intact; block e\/11 is damaged: checksum mismatch near seq 15/,
    );
    assert.match(err.message, /journal verify/);
  });

  void it('reports a damaged block in the middle when a read or get reaches it', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    const j = await openLevelJournal(dir);
    await j.append(sampleEvents(10));
    await j.append(sampleEvents(10));
    await j.append(sampleEvents(10));
    await j.close();
    await tamper(
      dir,
      (keys) => keys[1]!,
      (value) => {
        // A byte inside the records (after the 24-byte block header).
        value.writeUInt8(value.readUInt8(44) ^ 0x40, 44);
      },
    );
    const again = await open(t, dir);
    assert.equal(again.head(), 30);
    const err = await rejectsWith(() => readAll(again), 'JOURNAL_DAMAGED');
    assert.match(err.message, /seq 11/);
    await rejectsWith(() => again.get(11), 'JOURNAL_DAMAGED');
    assert.equal((await readAll(again, { after: 20 })).envelopes.length, 10, 'the rest stays readable');
    assert.equal((await readAll(again, { through: 10 })).envelopes.length, 10);
  });

  void it(
    'keeps every acknowledged event when the process is killed (SIGKILL) mid-stream',
    { timeout: 60_000 },
    async (t) => {
      const dir = join(await tempDir(t), 'journal');
      const writer = child(
        t,
        dir,
        `const j = await openLevelJournal(dir);
       const ev = (i) => ({ type: 'RouteDiscovered', vrf: 'customer-a', family: 'ipv4', prefix: '10.' + (i >> 8 & 255) + '.' + (i & 255) + '.0/24', interface: 'eth1', ifindex: 3, address: '10.0.0.1' });
       let i = 0;
       async function loop() {
         for (;;) {
           const envs = await j.append(Array.from({ length: 1 + (i++ % 20) }, (_, k) => ev(i + k)));
           process.stdout.write(envs[envs.length - 1].seq + '\\n');
         }
       }
       await Promise.all([loop(), loop(), loop(), loop()]);`,
      );
      const acked = await lines(writer, (l) => Number(l) >= 3000);
      writer.kill('SIGKILL');
      assert.equal((await exitOf(writer)).signal, 'SIGKILL');
      const maxAcked = Math.max(...acked.map(Number));

      const j = await open(t, dir);
      assert.ok(j.head() >= maxAcked, `head ${j.head()} covers every acknowledged seq (${maxAcked})`);
      const all = (await readAll(j)).envelopes;
      assert.equal(all.length, j.head());
      all.forEach((e, i) => assert.equal(e.seq, i + 1));
      assert.equal((await j.append(sampleEvents(1)))[0]!.seq, j.head());
    },
  );

  void it(
    'on a full disk, keeps appends waiting in order, reports the failure, and resumes by itself when space returns',
    { timeout: 60_000 },
    async (t) => {
      // Cleanup order matters (journals closed, then unmount, then remove), so no t.after here.
      const mnt = await mkdtemp(join(tmpdir(), 'ribjournal-full-'));
      const opened: { close(): Promise<void> }[] = [];
      let mounted = false;
      try {
        try {
          execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
          mounted = true;
        } catch (err) {
          t.skip(`cannot mount a tmpfs here (needs root): ${String(err)}`);
          return;
        }
        const dir = join(mnt, 'journal');
        const j = await openLevelJournal(dir, {
          log: pino({ level: 'silent' }),
          writeRetry: { minDelayMs: 5, maxDelayMs: 50, graceMs: 100 },
          maxQueuedEvents: 1000,
        });
        opened.push(j);
        const recoveries: WriteRecovery[] = [];
        j.onRecovered((info) => recoveries.push(info));
        const written: Envelope[] = [];
        // Fill the disk: appends stop resolving once LevelDB cannot write.
        let stuck: Promise<readonly Envelope[]> | undefined;
        for (let i = 0; i < 10_000 && stuck === undefined; i++) {
          const p = j.append(sampleEvents(100, i * 100));
          let done: readonly Envelope[] | undefined;
          p.then(
            (v) => (done = v),
            () => undefined,
          );
          await waitFor(
            () => done !== undefined || j.health().writeFailing !== undefined,
            'an append',
            30_000,
            1,
          );
          if (done === undefined) stuck = p;
          else written.push(...done);
        }
        assert.ok(stuck, 'the disk filled');
        const acked = j.head();
        assert.ok(acked > 0, 'some appends fit before the disk filled');
        assert.match(j.health().writeFailing!.reason, /No space left on device/);
        // More appends wait behind it, in order; beyond the bound they are refused, not queued.
        const waiting = [stuck, j.append(sampleEvents(50, 900_000)), j.append(sampleEvents(50, 900_050))];
        await rejectsWith(() => j.append(sampleEvents(2000)), 'JOURNAL_BACKLOG_FULL');
        await waitFor(() => j.health().unhealthy, 'unhealthy after the grace period');
        assert.deepEqual((await readAll(j)).envelopes, written, 'reads still work');

        execFileSync('mount', ['-o', 'remount,size=16m', mnt]);
        const resumed = await Promise.all(waiting);
        assert.deepEqual(
          resumed.flat().map((e) => e.seq),
          Array.from({ length: 200 }, (_, k) => acked + 1 + k),
          'the waiting appends are written in order, without a gap',
        );
        await waitFor(() => recoveries.length > 0, 'the recovery hook');
        assert.equal(recoveries[0]!.refusedEvents, 2000);
        assert.ok(recoveries[0]!.attempts > 0);
        assert.equal(j.health().writeFailing, undefined);
        assert.equal(j.health().unhealthy, undefined);
        assert.deepEqual(
          (await j.append(sampleEvents(1))).map((e) => e.seq),
          [acked + 201],
        );
        await j.close();
        const again = await openLevelJournal(dir);
        opened.push(again);
        const all = (await readAll(again)).envelopes;
        assert.equal(all.length, acked + 201);
        all.forEach((e, i) => assert.equal(e.seq, i + 1));
        assert.deepEqual(all.slice(0, acked), written);
      } finally {
        for (const j of opened) await j.close().catch(() => undefined);
        if (mounted) execFileSync('umount', [mnt]);
        await rm(mnt, { recursive: true, force: true });
      }
    },
  );
});
