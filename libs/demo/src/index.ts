/**
 * @driftwatch/demo: the built-in demo source `driftwatch serve` plays when no flow source is configured (product
 * code, not a test fake): a Hubble API server on loopback with the examples/shop cluster's traffic and drift.
 */
export { DemoHubbleServer, type DemoHubbleServerOptions } from './demo-hubble-server.js';
export {
  DRIFT_SCENARIOS, shopTraffic, STEADY_SCENARIOS, type DemoEvent, type DemoExpectation, type DemoResponse, type DemoScenario,
  type GrpcTimestamp, type ShopTrafficOptions,
} from './shop-traffic.js';
export {
  BACKEND, CLUSTER_NAME, COREDNS, DATABASE, EXFILTRATION_TARGETS, FRONTEND, PAYMENT_APIS, PODS, PORTS, SCANNERS,
  type DemoExternal, type DemoIdentity, type DemoPod, type DemoWorkload,
} from './shop-cluster.js';
