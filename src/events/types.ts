// The event union (emmett style): plain readonly objects, past-tense facts, never edited or deleted.
import type { Family } from '../shared/index.js';

export type { Family };

/** Why a route left a VRF. */
export type VanishReason =
  'address-removed' | 'link-down' | 'interface-removed' | 'config-changed' | 'reconcile';

export const VANISH_REASONS: readonly VanishReason[] = [
  'address-removed',
  'link-down',
  'interface-removed',
  'config-changed',
  'reconcile',
];

/** A connected route seen on an interface. `vrf` is "" for the global table. */
export interface RouteDiscovered {
  readonly type: 'RouteDiscovered';
  readonly vrf: string;
  readonly family: Family;
  readonly prefix: string;
  readonly interface: string;
  readonly ifindex: number;
  /** The interface address the prefix was derived from (the local RIB's next hop). */
  readonly address: string;
}

export interface RouteVanished {
  readonly type: 'RouteVanished';
  readonly vrf: string;
  readonly family: Family;
  readonly prefix: string;
  readonly interface: string;
  readonly reason: VanishReason;
}

/** One VRF of the effective config, as journaled. The global table is name "". */
export interface VrfSnapshot {
  readonly name: string;
  readonly rd: string;
  readonly importRts: readonly string[];
  readonly exportRts: readonly string[];
  readonly label: number;
  /** GoBGP's VRF id from the config; absent when not set (and in journals written before it existed). */
  readonly id?: number;
  readonly interfaces: readonly string[];
}

export interface NeighborSnapshot {
  readonly address: string;
  readonly peerAs: number;
  readonly localAs?: number;
  readonly families: readonly string[];
  readonly passive: boolean;
}

/** The effective config that matters for routes and BGP, written when it differs from the last one. */
export interface ConfigApplied {
  readonly type: 'ConfigApplied';
  readonly configVersion: number;
  readonly vrfs: readonly VrfSnapshot[];
  readonly neighbors: readonly NeighborSnapshot[];
  readonly global?: { readonly as: number; readonly routerId: string } | undefined;
}

/**
 * The daemon started watching (issue 9.6): journaled at each start, before the first kernel reconcile,
 * so the window since the previous run's last event is a window when nothing was watching.
 * `previousStopClean` is false when the previous run ended without DaemonStopped (killed, crashed,
 * power lost), null when unknown (the journal's first start, or one written before lifecycle events).
 */
export interface DaemonStarted {
  readonly type: 'DaemonStarted';
  readonly buildVersion: string;
  readonly configVersion: number;
  readonly previousStopClean: boolean | null;
}

/** The daemon stopped watching, cleanly (a signal or an operator's stop); journaled last. */
export interface DaemonStopped {
  readonly type: 'DaemonStopped';
  readonly buildVersion: string;
  /** Why: e.g. "SIGTERM". */
  readonly reason: string;
}

export type RouteEvent = RouteDiscovered | RouteVanished;
export type LifecycleEvent = DaemonStarted | DaemonStopped;
export type JournalEvent = RouteDiscovered | RouteVanished | ConfigApplied | DaemonStarted | DaemonStopped;

/** True for the route events (RouteDiscovered, RouteVanished). */
export function isRouteEvent(e: JournalEvent): e is RouteEvent {
  return e.type === 'RouteDiscovered' || e.type === 'RouteVanished';
}

/** True for DaemonStarted and DaemonStopped. */
export function isLifecycleEvent(e: JournalEvent): e is LifecycleEvent {
  return e.type === 'DaemonStarted' || e.type === 'DaemonStopped';
}
export type EventType = JournalEvent['type'];

/** A committed event: gapless seq from 1, epoch-microsecond time, schema version of the body. */
export interface Envelope<E extends JournalEvent = JournalEvent> {
  readonly seq: number;
  readonly time: number;
  readonly version: number;
  readonly event: E;
}

/** Exhaustiveness guard for switches over the union: a new event type cannot be forgotten. */
export function assertNever(x: never): never {
  throw new TypeError(`unexpected event ${JSON.stringify(x)}`);
}
