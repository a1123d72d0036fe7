// Helper of flood.bench.ts: the compiled daemon (dist/, as `ribjournal serve` runs it: no tsx, NODE_ENV
// production) importing every interface `dev*` of namespace argv[2] into a journal in argv[3]. Every
// 250 ms it reports over IPC its RIB size, journal head, observer restarts and the memory of its own
// process and of its observer child; on 'stop' it stops and exits. Node flags (heap limit) are the
// caller's to choose, as for `ribjournal serve`; the heap growth is set as `serve` sets it.
import { readFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { pino } from 'pino';

process.env.NODE_ENV ??= 'production';
// As bin/ribjournal.js does for `serve`, before the daemon's modules load.
(await import('../../dist/src/shared/heap.js')).limitYoungGeneration();
const { parseConfig } = await import('../../dist/src/config/index.js');
const { tuneProcessMemory } = await import('../../dist/src/shared/index.js');
const { startDaemon } = await import('../../dist/src/main.js');

// As `ribjournal serve` does (RIBJOURNAL_HEAP_GROWTH_PERCENT=0: V8's own heap growth, for comparison).
tuneProcessMemory();
const [ns, journalDir] = process.argv.slice(2);
const { config } = parseConfig('[netlink.import]\nenabled = true\ninterface-list = ["dev*"]\n');
const daemon = await startDaemon({ config, journalDir, log: pino({ level: 'error' }), netns: ns });

/** Resident set of `pid` in bytes (0 when gone). */
function rssOf(pid) {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

// Where the memory is at the peak (FLOOD_HEAPSNAPSHOT_AT=paths:file): the heap once the RIB first holds
// that many paths (the flood pauses while it is written).
const [atPaths, atFile] = (process.env.FLOOD_HEAPSNAPSHOT_AT ?? '').split(':');
let snapshotAt = atFile ? Number(atPaths) : Infinity;
const report = () => {
  if (daemon.rib.size() >= snapshotAt) {
    snapshotAt = Infinity;
    writeHeapSnapshot(atFile);
  }
  const m = process.memoryUsage();
  process.send?.({
    t: 'sample',
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    childRss: rssOf(daemon.observer.pid),
    paths: daemon.rib.size(),
    seq: daemon.journal.head(),
    restarts: daemon.observer.restarts,
    unwritten: daemon.indexes.history.unwritten(),
  });
};
report();
const timer = setInterval(report, 250);
process.on('message', (msg) => {
  // Where the memory is: a heap snapshot (it collects garbage first) to the file named.
  if (msg?.t === 'snapshot') writeHeapSnapshot(msg.file);
  if (msg?.t !== 'stop') return;
  clearInterval(timer);
  void daemon.stop().then(() => process.exit(0));
});
