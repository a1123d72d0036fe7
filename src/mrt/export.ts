// The journal as MRT (RFC 6396), so that existing MRT tools can read an incident: a TABLE_DUMP_V2 of the
// RIB at one point (best path of every prefix, as BGP would advertise it) and BGP4MP_ET records of the
// UPDATEs BGP would have sent for the changes in a window. The global table is IPv4/IPv6 unicast; VRF
// routes are VPNv4/VPNv6 (RIB_GENERIC / MP_REACH_NLRI) with the RD, label and export RTs of the VRF in
// the ConfigApplied in force at that point. The routes look as our speaker sends them over iBGP: ORIGIN
// IGP, empty AS_PATH, LOCAL_PREF 100; the next hop is the interface address the route came from (the
// real next-hop-self depends on the session, which the journal does not know).
import { UpdateBuilder } from '../bgp/codec/index.js';
import type { BgpFamily, BgpRoute } from '../bgp/codec/index.js';
import type { Envelope, VrfSnapshot } from '../events/index.js';
import { isRouteEvent } from '../events/index.js';
import type { Journal } from '../journal/index.js';
import { Rib, prefixSortKey } from '../projections/index.js';
import type { Path } from '../projections/index.js';
import { isRdRtError, parseRdRt } from '../shared/index.js';
import type { RdRt } from '../shared/index.js';
import { bgp4mpMessage, peerIndexTable, ribRecord } from './writer.js';
import type { MrtPeer, MrtRoute } from './writer.js';

export interface MrtExportOptions {
  /** Write a TABLE_DUMP_V2 of the RIB after this seq. */
  readonly dumpAt?: number | undefined;
  /** MRT timestamp of the table dump (epoch µs); default the time of the event at `dumpAt`. */
  readonly dumpTime?: number | undefined;
  /** Write BGP4MP records of the changes in seqs (after, through]; the table dump, if any, is at `after`. */
  readonly window?: { readonly after: number; readonly through: number } | undefined;
  /** Called now and then with the seq reached and the last seq of the export. */
  readonly onProgress?: (seq: number, last: number) => void;
}

export interface MrtExportResult {
  /** Prefixes in the table dump. */
  readonly ribRecords: number;
  /** UPDATE messages in BGP4MP records. */
  readonly updates: number;
  /** VRF routes left out because their VRF had no RD in the config in force. */
  readonly skipped: number;
  /** The speaker the records name as peer. */
  readonly peer: MrtPeer;
}

const VIEW_NAME = 'ribjournal';
const CHUNK_BYTES = 256 * 1024;

/** What BGP carries of one VRF: RD, label, export RTs (parsed once per config). */
interface VrfWire {
  readonly rd: RdRt | undefined;
  readonly label: number;
  readonly routeTargets: readonly RdRt[];
  readonly key: string;
}

function vrfWire(vrf: string, snapshot: VrfSnapshot | undefined): VrfWire | undefined {
  if (vrf === '') return { rd: undefined, label: 0, routeTargets: [], key: '' };
  if (snapshot === undefined || snapshot.rd === '') return undefined;
  const rd = parseRdRt(snapshot.rd);
  if (isRdRtError(rd)) return undefined;
  const routeTargets = snapshot.exportRts.map(parseRdRt).filter((r): r is RdRt => !isRdRtError(r));
  return {
    rd,
    label: snapshot.label,
    routeTargets,
    key: `${snapshot.rd}|${snapshot.label}|${snapshot.exportRts.join(',')}`,
  };
}

function familyOf(path: Path, vpn: boolean): BgpFamily {
  if (path.family === 'ipv4') return vpn ? 'l3vpn-ipv4-unicast' : 'ipv4-unicast';
  return vpn ? 'l3vpn-ipv6-unicast' : 'ipv6-unicast';
}

function mrtRoute(path: Path, wire: VrfWire): MrtRoute {
  return {
    prefix: path.prefix,
    nextHop: path.address,
    rd: wire.rd,
    label: wire.label,
    routeTargets: wire.routeTargets,
    originated: path.time,
  };
}

/** The speaker as MRT names it: router id and AS of the config in force (0.0.0.0 / AS 0 without one). */
function speakerOf(rib: Rib): MrtPeer {
  const g = rib.config?.global;
  return { bgpId: g?.routerId ?? '0.0.0.0', address: g?.routerId ?? '0.0.0.0', as: g?.as ?? 0 };
}

/** Buffers records and hands them to `write` in chunks. */
class Output {
  private chunks: Buffer[] = [];
  private bytes = 0;
  constructor(private readonly write: (chunk: Buffer) => Promise<void>) {}
  async push(record: Buffer): Promise<void> {
    this.chunks.push(record);
    this.bytes += record.length;
    if (this.bytes >= CHUNK_BYTES) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.chunks.length === 0) return;
    const chunk = Buffer.concat(this.chunks);
    this.chunks = [];
    this.bytes = 0;
    await this.write(chunk);
  }
}

/** Writes the MRT records of `options` for the journal through `write`. */
export async function exportMrt(
  journal: Journal,
  options: MrtExportOptions,
  write: (chunk: Buffer) => Promise<void>,
): Promise<MrtExportResult> {
  const start = options.window?.after ?? options.dumpAt ?? journal.head();
  const last = options.window?.through ?? start;
  const rib = new Rib();
  if (start > 0) {
    for await (const batch of journal.read({ through: start })) {
      for (const env of batch) rib.apply(env);
      options.onProgress?.(batch[batch.length - 1]!.seq, last);
    }
  }
  const out = new Output(write);
  const peer = speakerOf(rib);
  const local: MrtPeer = { bgpId: '0.0.0.0', address: '0.0.0.0', as: peer.as };
  let skipped = 0;
  let ribRecords = 0;
  let updates = 0;

  if (options.dumpAt !== undefined || options.window === undefined) {
    const time = options.dumpTime ?? (start > 0 ? rib.time : 0);
    await out.push(peerIndexTable(time, peer.bgpId, VIEW_NAME, [peer]));
    const vrfs = rib.vrfNames().filter((v) => v !== '');
    for (const vrf of ['', ...vrfs]) {
      const wire = vrfWire(vrf, rib.vrfConfig(vrf));
      const prefixes = [...rib.entries(vrf)].map(([prefix, paths]) => ({
        key: prefixSortKey(prefix),
        best: paths[0],
      }));
      prefixes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const { best } of prefixes) {
        if (best === undefined) continue;
        if (wire === undefined) {
          skipped++;
          continue;
        }
        await out.push(ribRecord(time, ribRecords++, mrtRoute(best, wire)));
      }
    }
  }

  if (options.window !== undefined && options.window.through > start) {
    const builders = new Map<string, UpdateBuilder>();
    const builder = (nextHop: string): UpdateBuilder => {
      let b = builders.get(nextHop);
      if (b === undefined) {
        const hop = nextHop === '' ? {} : nextHop.includes(':') ? { ipv6: nextHop } : { ipv4: nextHop };
        b = new UpdateBuilder({ localAs: peer.as, peerAs: peer.as, as4: true, nextHop: hop });
        builders.set(nextHop, b);
      }
      return b;
    };
    const bgpRoute = (path: Path, wire: VrfWire): BgpRoute => ({
      family: familyOf(path, wire.rd !== undefined),
      prefix: path.prefix,
      ...(wire.rd ? { rd: wire.rd, labels: [wire.label] } : {}),
    });
    const send = async (time: number, messages: readonly Buffer[]): Promise<void> => {
      for (const m of messages) {
        await out.push(bgp4mpMessage(time, peer, local, m));
        updates++;
      }
    };
    const announce = (env: Envelope, path: Path, wire: VrfWire): Promise<void> => {
      const route = bgpRoute(path, wire);
      return send(
        env.time,
        builder(path.address).announce(route.family, [route], { routeTargets: wire.routeTargets }),
      );
    };
    const withdraw = (env: Envelope, path: Path, wire: VrfWire): Promise<void> => {
      const route = bgpRoute(path, wire);
      return send(env.time, builder('').withdraw(route.family, [route]));
    };

    for await (const batch of journal.read({ after: start, through: options.window.through })) {
      for (const env of batch) {
        const e = env.event;
        if (e.type === 'ConfigApplied') {
          // A VRF whose RD, label or RTs changed is re-advertised as BGP would: withdrawn under the old
          // RD when the RD changed, announced with the new attributes.
          const before = new Map(rib.vrfNames().map((v) => [v, vrfWire(v, rib.vrfConfig(v))]));
          rib.apply(env);
          for (const [vrf, old] of before) {
            if (vrf === '') continue;
            const now = vrfWire(vrf, rib.vrfConfig(vrf));
            if (old?.key === now?.key) continue;
            for (const [, paths] of rib.entries(vrf)) {
              const best = paths[0];
              if (best === undefined) continue;
              if (old !== undefined && (now === undefined || old.rd?.text !== now.rd?.text))
                await withdraw(env, best, old);
              if (now !== undefined) await announce(env, best, now);
            }
          }
          continue;
        }
        // Lifecycle events have no BGP form: MRT export writes nothing for them.
        if (!isRouteEvent(e)) continue;
        const before = rib.lookup(e.vrf, e.prefix)[0];
        rib.apply(env);
        const after = rib.lookup(e.vrf, e.prefix)[0];
        if (before === after) continue;
        const wire = vrfWire(e.vrf, rib.vrfConfig(e.vrf));
        if (wire === undefined) {
          skipped++;
          continue;
        }
        if (after === undefined) {
          if (before !== undefined) await withdraw(env, before, wire);
        } else if (
          before === undefined ||
          before.interface !== after.interface ||
          before.address !== after.address
        ) {
          await announce(env, after, wire);
        }
      }
      options.onProgress?.(batch[batch.length - 1]!.seq, last);
    }
  }
  await out.flush();
  return { ribRecords, updates, skipped, peer };
}
