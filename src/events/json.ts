// The JSON shape of an event for users (journal dump --json, export jsonl, CLI -j): DESIGN.md decisions.
import { formatMicros } from '../shared/index.js';
import type { Envelope } from './types.js';

/** The global table's name in every output; "" only inside the journal. */
export const GLOBAL_VRF_NAME = 'global';

export function vrfDisplayName(vrf: string): string {
  return vrf === '' ? GLOBAL_VRF_NAME : vrf;
}

/** Maps a user-facing VRF name to the journal's ("global" -> ""). */
export function vrfInternalName(name: string): string {
  return name === GLOBAL_VRF_NAME ? '' : name;
}

export function envelopeToJson(env: Envelope): Record<string, unknown> {
  const e = env.event;
  const head = { seq: env.seq, time: formatMicros(env.time), type: e.type };
  switch (e.type) {
    case 'RouteDiscovered':
      return {
        ...head,
        vrf: vrfDisplayName(e.vrf),
        family: e.family,
        prefix: e.prefix,
        interface: e.interface,
        ifindex: e.ifindex,
        address: e.address,
      };
    case 'RouteVanished':
      return {
        ...head,
        vrf: vrfDisplayName(e.vrf),
        family: e.family,
        prefix: e.prefix,
        interface: e.interface,
        reason: e.reason,
      };
    case 'ConfigApplied':
      return {
        ...head,
        configVersion: e.configVersion,
        vrfs: e.vrfs.map((v) => ({ ...v, name: vrfDisplayName(v.name) })),
        neighbors: e.neighbors,
        ...(e.global ? { global: e.global } : {}),
      };
    case 'DaemonStarted':
      return {
        ...head,
        buildVersion: e.buildVersion,
        configVersion: e.configVersion,
        previousStopClean: e.previousStopClean,
      };
    case 'DaemonStopped':
      return { ...head, buildVersion: e.buildVersion, reason: e.reason };
  }
}

/** One human-readable line per event, as `journal dump` prints it. */
export function envelopeToLine(env: Envelope): string {
  const e = env.event;
  const t = formatMicros(env.time);
  switch (e.type) {
    case 'RouteDiscovered':
      return `${env.seq} ${t} ${e.type} vrf=${vrfDisplayName(e.vrf)} ${e.prefix} dev ${e.interface} (ifindex ${e.ifindex}) address ${e.address}`;
    case 'RouteVanished':
      return `${env.seq} ${t} ${e.type} vrf=${vrfDisplayName(e.vrf)} ${e.prefix} dev ${e.interface} reason ${e.reason}`;
    case 'ConfigApplied':
      return `${env.seq} ${t} ${e.type} config-version=${e.configVersion} vrfs=${e.vrfs.map((v) => vrfDisplayName(v.name)).join(',')} neighbors=${e.neighbors.length}`;
    case 'DaemonStarted': {
      const previous =
        e.previousStopClean === null
          ? 'unknown'
          : e.previousStopClean
            ? 'clean'
            : 'UNCLEAN (not watching since the last event before this one)';
      return `${env.seq} ${t} ${e.type} build=${e.buildVersion} config-version=${e.configVersion} previous-stop=${previous}`;
    }
    case 'DaemonStopped':
      return `${env.seq} ${t} ${e.type} build=${e.buildVersion} reason ${e.reason}`;
  }
}
