// config/: TOML -> validated, frozen Config (errors name the key path and line).
export type {
  Config,
  ConfigProblem,
  ConfigWarning,
  GlobalConfig,
  ImportSection,
  LoadedConfig,
  NeighborConfig,
  NeighborFamily,
  VrfConfig,
} from './types.js';
export type {
  ApplyPolicy,
  CommunitySet,
  ExtCommunityValue,
  NeighborSet,
  PolicyConfig,
  PolicyDefinition,
  PolicyStatement,
  PrefixSet,
  PrefixSetEntry,
  SetOption,
  StatementActions,
  StatementConditions,
} from './policy.js';
export { formatCommunity, parseCommunity, parseLargeCommunity, WELL_KNOWN_COMMUNITIES } from './policy.js';
export type { BmpServerConfig, RouteMonitoringPolicy } from './bmp.js';
export { parseConfig, formatConfigProblem } from './parse.js';
export { loadConfigFile } from './load.js';
export { interfaceMatcher, isGlob, interfacePatternProblem, MAX_INTERFACE_NAME_BYTES } from './glob.js';
export type { FleetConfig } from './fleet.js';
export { NODE_NAME, defaultNodeName } from './fleet.js';
export type { JournalConfig } from './journal.js';
