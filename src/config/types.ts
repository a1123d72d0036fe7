// The validated, frozen configuration: GoBGP's TOML nesting read into the shapes the daemon uses.
import type { RdRt } from '../shared/index.js';
import type { BmpServerConfig } from './bmp.js';
import type { ApplyPolicy, PolicyConfig } from './policy.js';
import type { SessionSecurity } from './session-security.js';
import type { FleetConfig } from './fleet.js';
import type { JournalConfig } from './journal.js';

/** Interfaces whose connected routes are imported into one table; patterns are exact names or fnmatch globs. */
export interface ImportSection {
  readonly enabled: boolean;
  readonly interfaces: readonly string[];
}

/** One `[[vrfs]]` entry: RD, route targets, MPLS label and the interfaces imported into it. */
export interface VrfConfig {
  readonly name: string;
  readonly rd: RdRt;
  readonly importRts: readonly RdRt[];
  readonly exportRts: readonly RdRt[];
  /** 0 by default (as GoBGP sends); 16..1048575 when set. */
  readonly label: number;
  /** `[vrfs.config] id`: GoBGP's VRF id, 0 when not set (unique among VRFs when set). */
  readonly id: number;
  readonly netlinkImport: ImportSection;
  /**
   * `[vrfs.config] linux-vrf-device`: the Linux VRF device whose member interfaces feed this VRF when
   * `[netlink] linux-vrf` is on; absent: the device named like the VRF.
   */
  readonly linuxVrfDevice?: string;
}

/** The address families ribjournal speaks, named as GoBGP's `afi-safi-name`. */
export type NeighborFamily = 'ipv4-unicast' | 'ipv6-unicast' | 'l3vpn-ipv4-unicast' | 'l3vpn-ipv6-unicast';

/** One `[[neighbors]]` entry with GoBGP's defaults filled in. Times are in seconds. */
export interface NeighborConfig extends SessionSecurity {
  /** Canonical text of the peer's address. */
  readonly address: string;
  readonly peerAs: number;
  /** undefined: the global AS. */
  readonly localAs: number | undefined;
  readonly passive: boolean;
  readonly localAddress: string | undefined;
  /** 179 by default. */
  readonly remotePort: number;
  /** 90 by default; 0 turns hold timer and keepalives off (RFC 4271 4.2). */
  readonly holdTime: number;
  /** hold-time / 3 by default, as GoBGP (so 30); 0 when hold-time is 0. */
  readonly keepaliveInterval: number;
  /** 120 by default. */
  readonly connectRetry: number;
  /** Enabled families; without afi-safis, as GoBGP: ipv4-unicast for an IPv4 neighbor, ipv6-unicast for IPv6. */
  readonly families: readonly NeighborFamily[];
  /**
   * `[neighbors.graceful-restart.config]` (RFC 4724): absent when the section is absent (the
   * speaker's default then applies); `enabled` false as GoBGP when the key is missing; `restartTime`
   * (0..4095 s) defaults, as GoBGP, to hold-time (at most 4095).
   */
  readonly gracefulRestart?: { readonly enabled: boolean; readonly restartTime: number };
  /** `[neighbors.apply-policy.config]` export side; when present it replaces the global one for this peer. */
  readonly exportPolicy?: ApplyPolicy;
  /** `[neighbors.config] peer-group`: the group whose keys this neighbor inherited. */
  readonly peerGroup?: string;
}

/** `[global.config]`; its presence turns BGP on. */
export interface GlobalConfig {
  readonly as: number;
  readonly routerId: string;
  /** 179 by default (also for 0, as GoBGP); negative: do not listen. */
  readonly port: number;
  /** Addresses to listen on; GoBGP's default ["0.0.0.0", "::"]. */
  readonly localAddresses: readonly string[];
  /** `[global.apply-policy.config]` export side: applies to every neighbor without its own. */
  readonly exportPolicy?: ApplyPolicy;
}

/** The whole validated configuration, deep-frozen. */
export interface Config {
  readonly netlink: {
    /** `[netlink] scan-interval` (seconds, default 5) in milliseconds. */
    readonly scanIntervalMs: number;
    /** `[netlink] linux-vrf`: map interfaces by their Linux VRF device; default false. */
    readonly linuxVrf: boolean;
    /** `[netlink.import]`; vrf '' is the global table. */
    readonly import: ImportSection & { readonly vrf: string };
  };
  readonly vrfs: readonly VrfConfig[];
  /** undefined: BGP is off. */
  readonly global: GlobalConfig | undefined;
  readonly neighbors: readonly NeighborConfig[];
  readonly api: {
    /** `[api] listen` as "host:port"; undefined: the daemon's default (loopback). */
    readonly listen: string | undefined;
    readonly tokenFile: string | undefined;
    /** Line of `token-file` in the config file, for errors about the file it names. */
    readonly tokenFileLine?: number | undefined;
    readonly anonymousRead: boolean;
  };
  /** `[defined-sets]` and `[[policy-definitions]]`. */
  readonly policy: PolicyConfig;
  /** `[[bmp-servers]]`. */
  readonly bmpServers: readonly BmpServerConfig[];
  /** `[fleet]` (issue 11): publish the journal to NATS JetStream; absent: nothing is published. */
  readonly fleet?: FleetConfig;
  /** `[journal]` (issue 9.5): retention, max-size, archive-dir; absent: the journal keeps everything. */
  readonly journal?: JournalConfig;
}

/** Something in the config worth telling the operator that does not stop it from loading. */
export interface ConfigWarning {
  /** Key path such as `vrfs[1].config.rd`; '' for the document as a whole. */
  readonly path: string;
  readonly line: number | undefined;
  readonly message: string;
}

/** A reason the config was rejected; `column` only for TOML syntax errors. */
export interface ConfigProblem extends ConfigWarning {
  readonly column?: number;
}

/** A parsed config and what was noticed while reading it. */
export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly ConfigWarning[];
}
