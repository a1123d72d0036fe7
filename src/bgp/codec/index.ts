// BGP-4 message codec: pure encode/decode functions, no sockets and no timers.
export * from './constants.js';
export { BgpProtocolError, isBgpProtocolError, type NotificationData } from './errors.js';
export {
  BGP_FAMILIES,
  familyAfiSafi,
  familyOfAfiSafi,
  isBgpFamily,
  isIpv6Family,
  isVpnFamily,
  type AfiSafi,
  type BgpFamily,
  type BgpRoute,
} from './families.js';
export { MessageReader, frameMessage, type MessageReaderOptions, type RawMessage } from './reader.js';
export {
  decodeOpen,
  encodeCapability,
  encodeOpen,
  multiprotocolCapability,
  negotiateSession,
  standardCapabilities,
  validateOpen,
  type Capability,
  type DecodedOpen,
  type ExtendedNextHopEntry,
  type GracefulRestartFamily,
  type NegotiatedSession,
  type OpenExpectations,
  type OpenMessage,
  type OpenParams,
  type StandardCapabilityOptions,
} from './open.js';
export {
  SHUTDOWN_COMMUNICATION_MAX,
  decodeNotification,
  describeNotification,
  encodeKeepalive,
  encodeNotification,
  shutdownNotification,
  type Notification,
} from './notification.js';
export {
  ROUTE_REFRESH_BORR,
  ROUTE_REFRESH_EORR,
  ROUTE_REFRESH_NORMAL,
  decodeRouteRefresh,
  encodeRouteRefresh,
  type RouteRefresh,
} from './route-refresh.js';
export { encodeRd, encodeRouteTarget, readRd, readRouteTarget } from './rd-rt.js';
export {
  UpdateBuilder,
  encodeEndOfRib,
  type NextHopSelf,
  type RouteAttributes,
  type UpdateBuilderOptions,
} from './update-builder.js';
export {
  decodeUpdate,
  type AnnouncedRoute,
  type AsPathSegment,
  type AsPathSegmentType,
  type DecodedUpdate,
  type PathAttributes,
  type UnknownAttribute,
  type UpdateAction,
  type UpdateDecodeOptions,
  type UpdateProblem,
  type UpdateResult,
} from './update-decode.js';
export { nlriSize, writeNlri } from './nlri.js';
export { parsePrefixInto, prefixInto } from './nlri.js';
