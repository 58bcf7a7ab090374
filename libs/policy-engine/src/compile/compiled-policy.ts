import { cidrContains, formatCidr, parseCidr, type Cidr, type IpAddress } from '../cidr.js';
import type { PolicyRef, RuleMatch } from '../decision.js';
import type { IpBlock, NetworkPolicy, NetworkPolicyRule, Protocol } from '../model.js';
import { SelectorTable, type CompiledSelector } from './selectors.js';

/** TCP, UDP, SCTP; 3 stands for any other protocol, which no port entry matches. */
export function protocolIndex(protocol: string): number {
  return protocol === 'TCP' ? 0 : protocol === 'UDP' ? 1 : protocol === 'SCTP' ? 2 : 3;
}

const PROTOCOL_INDEX: Readonly<Record<Protocol, number>> = { TCP: 0, UDP: 1, SCTP: 2 };

export interface CompiledPeer {
  readonly index: number;
  /** With no namespaceSelector: the peer is limited to the policy's own namespace. */
  readonly podSelector: CompiledSelector | undefined;
  readonly namespaceSelector: CompiledSelector | undefined;
  /** Index in the ipBlock table, -1 for a selector peer. */
  readonly block: number;
}

export interface CompiledPort {
  readonly index: number;
  readonly protocol: number;
  /** Inclusive range; [0, 65535] when the entry names no port. Unused for named ports. */
  readonly from: number;
  readonly to: number;
  /** A named port, resolved on the destination pod. */
  readonly name: string | undefined;
}

export interface CompiledRule {
  readonly index: number;
  /** Empty: every peer. */
  readonly peers: readonly CompiledPeer[];
  /** Empty: every port and protocol. */
  readonly ports: readonly CompiledPort[];
  /** RuleMatch objects by (peer, port), made once and shared by every decision they explain. */
  readonly matches: Map<number, RuleMatch>;
}

export interface CompiledPolicy {
  /** Position in the canonical order. */
  readonly index: number;
  readonly ref: PolicyRef;
  readonly namespace: string;
  readonly podSelector: CompiledSelector;
  /** Undefined when the policy's types do not include the direction. */
  readonly ingress: readonly CompiledRule[] | undefined;
  readonly egress: readonly CompiledRule[] | undefined;
}

export interface CompiledBlock {
  readonly cidr: Cidr | undefined;
  readonly except: readonly Cidr[];
}

/** Whether an address is in the block: inside cidr and outside every except. */
export function blockContains(block: CompiledBlock, ip: IpAddress): boolean {
  if (!block.cidr || !cidrContains(block.cidr, ip)) return false;
  for (const except of block.except) if (cidrContains(except, ip)) return false;
  return true;
}

/** Compiles policies in canonical order (namespace, name), so the order of the input never changes a decision. */
export function compilePolicies(policies: readonly NetworkPolicy[]) {
  const selectors = new SelectorTable();
  const blocks: CompiledBlock[] = [];
  const blockIds = new Map<string, number>();
  let namedPorts = false;

  const internBlock = (ipBlock: IpBlock): number => {
    const cidr = parseCidr(ipBlock.cidr);
    const except = ipBlock.except.map((text) => parseCidr(text)).filter((c): c is Cidr => typeof c !== 'string');
    // A block whose cidr does not parse (only possible for input that skipped loadManifests) matches nothing.
    const valid = typeof cidr === 'string' ? undefined : cidr;
    const key = `${valid ? formatCidr(valid) : `invalid:${ipBlock.cidr}`} ${except.map(formatCidr).sort().join(' ')}`;
    let id = blockIds.get(key);
    if (id === undefined) {
      id = blocks.length;
      blocks.push({ cidr: valid, except });
      blockIds.set(key, id);
    }
    return id;
  };

  const compileRules = (rules: readonly NetworkPolicyRule[]): CompiledRule[] =>
    rules.map((rule, index) => ({
      index,
      peers: rule.peers.map((peer, i) => ({
        index: i,
        podSelector: peer.podSelector && selectors.intern(peer.podSelector),
        namespaceSelector: peer.namespaceSelector && selectors.intern(peer.namespaceSelector),
        block: peer.ipBlock ? internBlock(peer.ipBlock) : -1,
      })),
      ports: rule.ports.map((port, i) => {
        const protocol = PROTOCOL_INDEX[port.protocol];
        if (typeof port.port === 'string') {
          namedPorts = true;
          return { index: i, protocol, from: 0, to: -1, name: port.port };
        }
        if (port.port === undefined) return { index: i, protocol, from: 0, to: 65535, name: undefined };
        return { index: i, protocol, from: port.port, to: port.endPort ?? port.port, name: undefined };
      }),
      matches: new Map(),
    }));

  const sorted = [...policies].sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.name, b.name));
  const compiled: CompiledPolicy[] = sorted.map((policy, index) => ({
    index,
    ref: Object.freeze({ namespace: policy.namespace, name: policy.name }),
    namespace: policy.namespace,
    podSelector: selectors.intern(policy.podSelector),
    ingress: policy.policyTypes.includes('Ingress') ? compileRules(policy.ingress) : undefined,
    egress: policy.policyTypes.includes('Egress') ? compileRules(policy.egress) : undefined,
  }));
  const byNamespace = new Map<string, CompiledPolicy[]>();
  for (const policy of compiled) {
    const list = byNamespace.get(policy.namespace);
    if (list) list.push(policy);
    else byNamespace.set(policy.namespace, [policy]);
  }
  return { policies: compiled, sorted, byNamespace, selectors, blocks, namedPorts };
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
