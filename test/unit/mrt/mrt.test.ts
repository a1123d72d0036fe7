// MRT: byte fixtures of the records (computed by hand from RFC 6396), a round trip of an export through
// the independent reader (VPN routes with RD, label and RTs), and Debian's bgpdump reading the unicast
// records.
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ConfigApplied,
  JournalEvent,
  RouteDiscovered,
  RouteVanished,
} from '../../../src/events/index.js';
import { MemoryJournal } from '../../../src/journal/index.js';
import { decodeMrt, exportMrt, peerIndexTable, ribRecord } from '../../../src/mrt/index.js';
import type { MrtEntry } from '../../../src/mrt/index.js';
import { parseRdRt } from '../../../src/shared/index.js';
import type { RdRt } from '../../../src/shared/index.js';

const T0 = 1_764_000_000_000_000; // 2025-11-24T16:00:00Z in µs, 0x69248100 s
const rdrt = (text: string): RdRt => parseRdRt(text) as RdRt;
const hex = (...parts: string[]): string => parts.join('').replace(/\s+/g, '');

describe('MRT records', () => {
  it('encodes RIB_IPV4_UNICAST as RFC 6396 4.3.2 lays it out', () => {
    const rec = ribRecord(T0 + 1_000_000, 0, { prefix: '10.1.0.0/24', nextHop: '10.1.0.1', originated: T0 });
    const attrs = hex('40 01 01 00', '40 02 00', '40 03 04 0a010001', '40 05 04 00000064');
    assert.equal(
      rec.toString('hex'),
      hex(
        '69248101', // timestamp 1764000001
        '000d 0002', // TABLE_DUMP_V2, RIB_IPV4_UNICAST
        '00000027', // length 39
        '00000000', // sequence
        '18 0a0100', // /24, 10.1.0
        '0001', // one entry
        '0000', // peer index 0
        '69248100', // originated 1764000000
        '0015', // attribute length 21
        attrs,
      ),
    );
  });

  it('encodes a VPNv4 route as RIB_GENERIC with label, RD, abbreviated MP_REACH and the RTs', () => {
    const rec = ribRecord(T0, 1, {
      prefix: '10.2.0.0/16',
      nextHop: '10.2.0.1',
      rd: rdrt('65000:100'),
      label: 16,
      routeTargets: [rdrt('65000:100')],
      originated: T0,
    });
    const attrs = hex(
      '40 01 01 00',
      '40 02 00',
      '40 05 04 00000064',
      '80 0e 0d 0c 0000000000000000 0a020001', // MP_REACH: next hop length 12 = zero RD + 10.2.0.1
      'c0 10 08 0002fde800000064', // route target 65000:100
    );
    const body = hex(
      '00000001',
      '0001 80',
      '68 000101 0000fde800000064 0a02',
      '0001',
      '0000',
      '69248100',
      '0029',
      attrs,
    );
    assert.equal(
      rec.toString('hex'),
      hex('69248100', '000d 0006', (body.length / 2).toString(16).padStart(8, '0'), body),
    );
  });

  it('encodes the PEER_INDEX_TABLE with 4-octet AS peers', () => {
    const rec = peerIndexTable(T0, '192.0.2.1', 'rj', [
      { bgpId: '192.0.2.1', address: '2001:db8::1', as: 4_200_000_000 },
    ]);
    const body = hex(
      'c0000201',
      '0002 726a',
      '0001',
      '03 c0000201 20010db8000000000000000000000001 fa56ea00',
    );
    assert.equal(
      rec.toString('hex'),
      hex('69248100', '000d 0001', (body.length / 2).toString(16).padStart(8, '0'), body),
    );
    assert.deepEqual(decodeMrt(rec), [
      {
        kind: 'peer-index',
        time: T0,
        collectorId: '192.0.2.1',
        viewName: 'rj',
        peers: [{ bgpId: '192.0.2.1', address: '2001:db8::1', as: 4_200_000_000 }],
      },
    ]);
  });
});

// --- a journal to export ---------------------------------------------------------------------------------

function config(version: number, rdA: string, rtB: string): ConfigApplied {
  return {
    type: 'ConfigApplied',
    configVersion: version,
    vrfs: [
      { name: '', rd: '', importRts: [], exportRts: [], label: 0, interfaces: ['eth0'] },
      {
        name: 'customer-a',
        rd: rdA,
        importRts: ['65000:100'],
        exportRts: ['65000:100'],
        label: 0,
        interfaces: ['eth1'],
      },
      {
        name: 'customer-b',
        rd: '192.0.2.1:7',
        importRts: [rtB],
        exportRts: [rtB, '4200000000:9'],
        label: 1000,
        interfaces: ['eth2'],
      },
      { name: 'no-rd', rd: '', importRts: [], exportRts: [], label: 0, interfaces: ['eth3'] },
    ],
    neighbors: [],
    global: { as: 65000, routerId: '192.0.2.1' },
  };
}
const disc = (
  vrf: string,
  prefix: string,
  iface: string,
  ifindex: number,
  address: string,
): RouteDiscovered => ({
  type: 'RouteDiscovered',
  vrf,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  prefix,
  interface: iface,
  ifindex,
  address,
});
const gone = (vrf: string, prefix: string, iface: string): RouteVanished => ({
  type: 'RouteVanished',
  vrf,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  prefix,
  interface: iface,
  reason: 'address-removed',
});

/** Seqs 1..8 build the table; 9.. are the window. */
const EVENTS: JournalEvent[] = [
  config(1, '65000:100', '65000:200'), // 1
  disc('', '10.0.0.0/24', 'eth0', 2, '10.0.0.1'), // 2
  disc('', '2001:db8::/64', 'eth0', 2, '2001:db8::1'), // 3
  disc('customer-a', '10.1.0.0/24', 'eth1', 3, '10.1.0.1'), // 4
  disc('customer-a', '2001:db8:a::/64', 'eth1', 3, '2001:db8:a::1'), // 5
  disc('customer-b', '10.2.0.5/32', 'eth2', 4, '10.2.0.5'), // 6
  disc('customer-b', '10.2.0.5/32', 'eth9', 9, '10.2.0.6'), // 7: a backup path (higher ifindex): not advertised
  disc('no-rd', '10.3.0.0/24', 'eth3', 5, '10.3.0.1'), // 8: no RD, cannot be carried
  // window
  disc('', '10.0.1.0/24', 'eth0', 2, '10.0.1.1'), // 9: announce
  gone('customer-b', '10.2.0.5/32', 'eth2'), // 10: best path changes to eth9: announce with the new next hop
  gone('customer-b', '10.2.0.5/32', 'eth9'), // 11: withdraw (VPN)
  gone('', '2001:db8::/64', 'eth0'), // 12: withdraw (IPv6 unicast)
  config(2, '65000:101', '65000:200'), // 13: customer-a's RD changes: withdraw both routes, announce them again
];

async function journal(t: TestContext): Promise<MemoryJournal> {
  let now = T0;
  const j = new MemoryJournal({ nowMicros: () => (now += 1_000_000) });
  t.after(() => j.close());
  for (const e of EVENTS) await j.append([e]);
  return j;
}

async function exported(
  j: MemoryJournal,
  options: Parameters<typeof exportMrt>[1],
): Promise<{ bytes: Buffer; entries: MrtEntry[]; skipped: number }> {
  const chunks: Buffer[] = [];
  const r = await exportMrt(j, options, async (c) => void chunks.push(c));
  const bytes = Buffer.concat(chunks);
  return { bytes, entries: decodeMrt(bytes), skipped: r.skipped };
}

describe('MRT export', () => {
  it('dumps the RIB at a point: best paths, unicast for the global table, VPN with RD, label and export RTs', async (t) => {
    const j = await journal(t);
    const { entries, skipped } = await exported(j, { dumpAt: 8 });
    assert.equal(skipped, 1, 'the VRF without an RD is left out');
    const [peers, ...ribs] = entries;
    assert.deepEqual(peers, {
      kind: 'peer-index',
      time: T0 + 8_000_000,
      collectorId: '192.0.2.1',
      viewName: 'ribjournal',
      peers: [{ bgpId: '192.0.2.1', address: '192.0.2.1', as: 65000 }],
    });
    const rows = ribs.map((r) => {
      assert.equal(r.kind, 'rib');
      if (r.kind !== 'rib') return undefined;
      assert.equal(r.entries.length, 1, 'one path per prefix: the best');
      const a = r.entries[0]!.attributes;
      assert.equal(a.origin, 0);
      assert.deepEqual(a.asPath, []);
      assert.equal(a.localPref, 100);
      return {
        seq: r.sequence,
        afi: r.afi,
        safi: r.safi,
        ...r.nlri,
        nextHop: a.nextHop ?? a.mpReach?.nextHops[0],
        rts: a.routeTargets,
        originated: r.entries[0]!.originated,
      };
    });
    const s = T0 / 1e6;
    assert.deepEqual(rows, [
      { seq: 0, afi: 1, safi: 1, prefix: '10.0.0.0/24', nextHop: '10.0.0.1', rts: [], originated: s + 2 },
      {
        seq: 1,
        afi: 2,
        safi: 1,
        prefix: '2001:db8::/64',
        nextHop: '2001:db8::1',
        rts: [],
        originated: s + 3,
      },
      {
        seq: 2,
        afi: 1,
        safi: 128,
        prefix: '10.1.0.0/24',
        rd: '65000:100',
        labels: [0],
        nextHop: '10.1.0.1',
        rts: ['65000:100'],
        originated: s + 4,
      },
      {
        seq: 3,
        afi: 2,
        safi: 128,
        prefix: '2001:db8:a::/64',
        rd: '65000:100',
        labels: [0],
        nextHop: '2001:db8:a::1',
        rts: ['65000:100'],
        originated: s + 5,
      },
      {
        seq: 4,
        afi: 1,
        safi: 128,
        prefix: '10.2.0.5/32',
        rd: '192.0.2.1:7',
        labels: [1000],
        nextHop: '10.2.0.5',
        rts: ['65000:200', '4200000000:9'],
        originated: s + 6,
      },
    ]);
  });

  it('writes the UPDATEs BGP would have sent in a window, with microsecond times', async (t) => {
    const j = await journal(t);
    const { entries } = await exported(j, { window: { after: 8, through: 13 } });
    const updates = entries.filter((e) => e.kind === 'bgp4mp');
    assert.equal(entries.length, updates.length, 'a window alone has no table dump');
    const rows = updates.map((u) => {
      assert.ok(u.kind === 'bgp4mp' && u.update);
      if (u.kind !== 'bgp4mp' || !u.update) return undefined;
      assert.equal(u.peerAs, 65000);
      assert.equal(u.peerAddress, '192.0.2.1');
      const { withdrawn, nlri, attributes: a } = u.update;
      const reach = a.mpReach?.nlri ?? nlri;
      const unreach = a.mpUnreach?.nlri ?? withdrawn;
      return {
        seq: (u.time - T0) / 1e6,
        ...(reach.length
          ? {
              announce: reach.map((n) => (n.rd ? `${n.rd}:${n.prefix}` : n.prefix)),
              nextHop: a.nextHop ?? a.mpReach?.nextHops[0],
              rts: a.routeTargets,
            }
          : {}),
        ...(unreach.length
          ? { withdraw: unreach.map((n) => (n.rd ? `${n.rd}:${n.prefix}` : n.prefix)) }
          : {}),
      };
    });
    assert.deepEqual(rows, [
      { seq: 9, announce: ['10.0.1.0/24'], nextHop: '10.0.1.1', rts: [] },
      {
        seq: 10,
        announce: ['192.0.2.1:7:10.2.0.5/32'],
        nextHop: '10.2.0.6',
        rts: ['65000:200', '4200000000:9'],
      },
      { seq: 11, withdraw: ['192.0.2.1:7:10.2.0.5/32'] },
      { seq: 12, withdraw: ['2001:db8::/64'] },
      { seq: 13, withdraw: ['65000:100:10.1.0.0/24'] },
      { seq: 13, announce: ['65000:101:10.1.0.0/24'], nextHop: '10.1.0.1', rts: ['65000:100'] },
      { seq: 13, withdraw: ['65000:100:2001:db8:a::/64'] },
      { seq: 13, announce: ['65000:101:2001:db8:a::/64'], nextHop: '2001:db8:a::1', rts: ['65000:100'] },
    ]);
  });

  it('is read by Debian bgpdump: the unicast table and updates, as an independent decoder sees them', async (t) => {
    const bgpdump = spawnSync('bgpdump', ['-T'], { encoding: 'utf8' });
    if (bgpdump.error) {
      t.skip('bgpdump is not installed (.ci/run installs it)');
      return;
    }
    const j = await journal(t);
    const dir = await mkdtemp(join(tmpdir(), 'ribjournal-mrt-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'incident.mrt');
    const table = await exported(j, { dumpAt: 8 });
    const window = await exported(j, { window: { after: 8, through: 13 } });
    await writeFile(file, Buffer.concat([table.bytes, window.bytes]));
    const lines = execFileSync('bgpdump', ['-m', file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .trimEnd()
      .split('\n');
    const s = T0 / 1e6;
    // bgpdump 1.6 skips SAFI 128 (the VPN records); everything else is there, field for field.
    assert.deepEqual(lines, [
      `TABLE_DUMP2|${s + 8}|B|192.0.2.1|65000|10.0.0.0/24||IGP|10.0.0.1|100|0||NAG||`,
      `TABLE_DUMP2|${s + 8}|B|192.0.2.1|65000|2001:db8::/64||IGP|2001:db8::1|100|0||NAG||`,
      `BGP4MP_ET|${s + 9}.000000|A|192.0.2.1|65000|10.0.1.0/24||IGP|10.0.1.1|100|0||NAG||`,
      `BGP4MP_ET|${s + 12}.000000|W|192.0.2.1|65000|2001:db8::/64`,
    ]);
  });
});
