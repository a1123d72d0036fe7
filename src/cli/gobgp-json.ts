// The JSON shapes `gobgp -j` (3.10) prints, so that scripts written for gobgp keep working with
// `ribjournal ... -j` (DESIGN: CLI JSON). ribjournal's own, richer JSON is `-o json`. Shapes checked
// against Debian's gobgpd: `gobgp -j global`, `global rib [-a ...]`, `global rib summary`, `vrf`.
import { isRdRtError, parseRdRt } from '../shared/index.js';
import type { RdRt } from '../shared/index.js';
import type { ApiPath } from './global.js';

/** BGP path attribute type codes (RFC 4271, 4760, 4360) as gobgp's JSON names them. */
const ORIGIN = 1;
const NEXT_HOP = 3;
const MP_REACH_NLRI = 14;
const EXTENDED_COMMUNITIES = 16;

function rdOrThrow(text: string): RdRt {
  const rd = parseRdRt(text);
  if (isRdRtError(rd)) throw new TypeError(`the API returned a bad RD/RT: ${rd.error}`);
  return rd;
}

/** gobgp's JSON of a route target: {"type":0|1|2,"subtype":2,"value":"64551:100"}. */
function rtJson(text: string): Record<string, unknown> {
  return { type: rdOrThrow(text).type, subtype: 2, value: text };
}

/** One path as gobgp -j prints it; `label` set means a VPN route (RD and labels in the NLRI). */
export function gobgpPath(p: ApiPath, label?: number): Record<string, unknown> {
  const rd = label !== undefined && p.rd !== null ? rdOrThrow(p.rd) : undefined;
  const vpn = rd !== undefined;
  const nlri =
    rd !== undefined
      ? { prefix: p.prefix, labels: [label], rd: { type: rd.type, admin: rd.admin, assigned: rd.assigned } }
      : { prefix: p.prefix };
  const nextHop =
    p.family === 'ipv4' && !vpn
      ? { type: NEXT_HOP, nexthop: p.address }
      : {
          type: MP_REACH_NLRI,
          nexthop: p.address,
          afi: p.family === 'ipv4' ? 1 : 2,
          safi: 1,
          value: [{ prefix: p.prefix }],
        };
  const attrs: Record<string, unknown>[] = [{ type: ORIGIN, value: 0 }, nextHop];
  if (p.exportRts.length > 0) attrs.push({ type: EXTENDED_COMMUNITIES, value: p.exportRts.map(rtJson) });
  return {
    nlri,
    age: Math.floor(Date.parse(p.discovered) / 1000),
    best: p.best,
    attrs,
    stale: false,
  };
}

/** `gobgp -j global rib`: an object keyed by the NLRI text, each holding that destination's paths. */
export function gobgpRib(
  paths: readonly ApiPath[],
  labelOf?: (p: ApiPath) => number,
): Record<string, unknown> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const p of paths) (out[p.nlri] ??= []).push(gobgpPath(p, labelOf?.(p)));
  return out;
}

/** `gobgp -j global rib summary`. */
export function gobgpSummary(paths: readonly ApiPath[]): { num_destination: number; num_path: number } {
  return { num_destination: new Set(paths.map((p) => p.nlri)).size, num_path: paths.length };
}

/** Protocol-buffer varint and fields, for the google.protobuf.Any values gobgp -j vrf prints. */
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
function field(no: number, value: number | string | boolean): number[] {
  if (typeof value === 'string') {
    const bytes = [...Buffer.from(value, 'utf8')];
    return [(no << 3) | 2, ...varint(bytes.length), ...bytes];
  }
  return [no << 3, ...varint(typeof value === 'boolean' ? Number(value) : value)];
}
function any(type: string, bytes: number[]): { type_url: string; value: string } {
  return { type_url: `type.googleapis.com/apipb.${type}`, value: Buffer.from(bytes).toString('base64') };
}

const RD_TYPES = [
  'RouteDistinguisherTwoOctetASN',
  'RouteDistinguisherIPAddress',
  'RouteDistinguisherFourOctetASN',
];
const RT_TYPES = ['TwoOctetAsSpecificExtended', 'IPv4AddressSpecificExtended', 'FourOctetAsSpecificExtended'];

/** An RD as gobgp's API message (apipb.RouteDistinguisher*: admin = 1, assigned = 2). */
export function gobgpRd(text: string): { type_url: string; value: string } {
  const rd = rdOrThrow(text);
  return any(RD_TYPES[rd.type]!, [...field(1, rd.admin), ...field(2, rd.assigned)]);
}

/** A route target as gobgp's API message (is_transitive = 1, sub_type = 2, admin = 3, local_admin = 4). */
export function gobgpRt(text: string): { type_url: string; value: string } {
  const rt = rdOrThrow(text);
  return any(RT_TYPES[rt.type]!, [
    ...field(1, true),
    ...field(2, 2),
    ...field(3, rt.admin),
    ...field(4, rt.assigned),
  ]);
}

/** `gobgp -j vrf`: name, rd, import_rt, export_rt as protobuf Any values, and id. */
export function gobgpVrf(v: {
  readonly name: string;
  readonly rd: string | null;
  readonly importRts: readonly string[];
  readonly exportRts: readonly string[];
  readonly id: number;
}): Record<string, unknown> {
  return {
    name: v.name,
    ...(v.rd !== null ? { rd: gobgpRd(v.rd) } : {}),
    import_rt: v.importRts.map(gobgpRt),
    export_rt: v.exportRts.map(gobgpRt),
    id: v.id,
  };
}
