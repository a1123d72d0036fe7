export {
  AdjRibOut,
  BgpOutbound,
  OUTBOUND_FAMILIES,
  outboundFamily,
  type OutboundChunk,
  type OutboundFamily,
  type OutboundRoute,
  type VrfAdvertisement,
} from './outbound.js';
