/**
 * The local Microsoft Graph stand-in: the public surface for the local stack, the tests and the
 * benchmark. Dev and test only.
 * May import: the modules of this folder.
 */
export {
  BATCH_LIMIT,
  startGraphStandIn,
  type GraphCallCounts,
  type GraphStandIn,
  type GraphStandInOptions,
} from './graphStandIn.js';
export {
  DEV_DIRECTORY_PATH,
  DirectoryFileSchema,
  DirectoryIndex,
  loadDirectoryFile,
  parseDirectoryFile,
  type DirectoryDeviceRecord,
  type DirectoryFile,
  type DirectoryUser,
} from './directoryFile.js';
export { GRAPH_ROUTES, GraphFaultSettingsSchema, type GraphFaultSettings, type GraphRouteName } from './faults.js';
export { GRAPH_APP_ID, GRAPH_AUDIENCE, GRAPH_DEFAULT_SCOPE } from './entraTokenEndpoint.js';
export { CHECK_MEMBER_GROUPS_LIMIT, ROUTE_PERMISSIONS } from './graphRoutes.js';
export { GRAPH_STAND_IN_TLS_DIR, readGraphStandInTls } from './tlsFiles.js';
