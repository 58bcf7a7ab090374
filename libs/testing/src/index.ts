/**
 * @driftwatch/testing: fixtures and fakes for tests and benchmarks only (never imported by production code).
 */

// --- Flow sources: fake Hubble Relay, fake Goldmane, Felix-like client, synthetic traffic ----------------
export { FakeHubbleRelay, type FakeHubbleRelayOptions, type RelayMessage, type SeenGetFlowsRequest } from './fake-hubble-relay.js';
export type { KillMode } from './server-kill.js';
export {
  encodeGetFlowsResponse, malformedFrame, rawFrame, unknownFieldBytes, withUnknownFields, type RawFrame,
} from './relay-frames.js';
export {
  hubbleJsonToGrpc, parseHubbleJsonLines, timestampMs, toTimestamp, type GrpcGetFlowsResponse, type GrpcTimestamp,
} from './hubble-messages.js';
export { FakeGoldmane, type FakeGoldmaneOptions, type GoldmaneFlowObject, type ReceivedFlowUpdate } from './fake-goldmane.js';
export { FelixClient } from './felix-client.js';
export {
  createSyntheticCluster, type SyntheticCluster, type SyntheticClusterOptions, type SyntheticEdge, type SyntheticExternal,
  type SyntheticNamespace, type SyntheticPod, type SyntheticPort, type SyntheticWorkload,
} from './synthetic-cluster.js';
export { renderSyntheticPolicies } from './synthetic-policies.js';
export {
  generateHubbleResponses, generateHubbleTraffic, type SyntheticExpectation, type SyntheticHubbleEvent, type SyntheticTrafficOptions,
} from './synthetic-flows.js';
export { encodedHubbleStream, type EncodedStreamOptions } from './synthetic-encoded.js';
export {
  buildFlow, enterpriseRecordMessage, externalEndpoint, goldmaneFlowMessage, hubbleEndpointMessage, hubbleResponseMessage,
  MESSAGE_TIME_SECONDS, podEndpoint,
} from './flow-messages.js';
export { storableProblems } from './storable-check.js';
export { readTlsFixture, TLS_FIXTURES } from './tls-fixtures.js';
export { unusedPort } from './unused-port.js';
export { StallingProxy } from './stalling-proxy.js';
// --- end of flow sources --------------------------------------------------------------------------------

// --- databases of a test run: copies of its migrated template (global-setup.ts) --------------------------
export { createTestDatabase, workerDatabaseUrl, type TestDatabase } from './test-database.js';

// --- Stored state -----------------------------------------------------------------------------------------
export { seedAlert } from './seed-alerts.js';
