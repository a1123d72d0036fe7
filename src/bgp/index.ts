// bgp/: the speaker that advertises the Rib to BGP peers. codec/ is pure encode/decode; fsm.ts the pure
// RFC 4271 state machine; session.ts one neighbor's sockets; speaker.ts listeners and sessions.
export { startSpeaker, type ListenAddress, type Speaker, type SpeakerOptions } from './speaker.js';
export {
  ADJ_RIB_IN_LIMIT,
  DEFAULT_GRACEFUL_RESTART_TIME,
  type AdjRibRoute,
  type MessageCounts,
  type NeighborStatus,
} from './session.js';
export {
  PeerFsm,
  realScheduler,
  type FsmAction,
  type FsmEvent,
  type FsmOptions,
  type PeerState,
  type Scheduler,
  type Timer,
} from './fsm.js';
export { nextHopSelf, plainAddress, type InterfaceTable } from './next-hop.js';
