// The live page of Driftwatch: one ES module, no build step, same origin only.
//
// Everything shown comes from the server and is untrusted: pod, workload and namespace names and addresses are
// chosen by whoever can deploy a pod. So it only ever enters the page as text (textContent, Node.append of
// strings, data-* attributes), never as markup: nothing here parses HTML, and there are no inline handlers or styles;
// every element is built here. The API key is kept in sessionStorage (this tab only).
import { io } from '/ui/socket.io.esm.min.js';

const KEY_ITEM = 'driftwatch.apiKey';
const ALERT_EVENTS = ['alert.opened', 'alert.updated', 'alert.acknowledged', 'alert.resolved', 'alert.reopened', 'alert.suppressed'];
const REFRESH_MS = 10_000;
const MAX_ALERTS = 200;
const MAX_MAP_NODES = 40;
const SVG = 'http://www.w3.org/2000/svg';

const state = {
  key: undefined,
  socket: undefined,
  /** id → { alert, node, parts, fromEvent } */
  alerts: new Map(),
  lastEventId: undefined,
  namespaces: new Set(),
  /** namespace → unexpected flows counted since the page opened */
  unexpectedTotals: new Map(),
  lastStats: new Map(),
  namespace: '',
  timers: [],
};

const byId = (id) => document.getElementById(id);

/** An HTML element: attributes by setAttribute (`class` as className), children appended as nodes or text. */
function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else node.setAttribute(name, String(value));
  }
  node.append(...children.map((child) => (child instanceof Node ? child : String(child ?? ''))));
  return node;
}

/** An SVG element, likewise. */
function s(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children.map((child) => (child instanceof Node ? child : String(child ?? ''))));
  return node;
}

function num(value) {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

function rate(value) {
  return value >= 10 ? String(Math.round(value)) : value.toFixed(1);
}

function time(iso) {
  if (typeof iso !== 'string') return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '–' : date.toLocaleTimeString([], { hour12: false });
}

/** What the server said went wrong (its `message`), or the status. */
function reason(body, status) {
  if (typeof body?.message === 'string') return body.message;
  if (Array.isArray(body?.message)) return body.message.map(String).join('; ');
  return status === 0 ? 'the server cannot be reached' : `HTTP ${status}`;
}

/** One side of a connection as text: namespace/workload, namespace/ip, or the address. */
function side(namespace, workload, ip) {
  if (namespace && workload) return `${namespace}/${workload}`;
  if (namespace) return `${namespace}/${ip ?? '?'}`;
  return ip ?? 'unknown';
}

function setConnection(stateName, text) {
  const node = byId('connection');
  node.dataset.state = stateName;
  node.textContent = text;
}

/** What api() answers for a request of a session that ended (the key was forgotten or refused meanwhile). */
const STALE = -1;

/**
 * fetch with the key; a 401 means the key is gone (revoked or wrong): back to the prompt. Without a key nothing is
 * sent, and the answer to a request of an earlier key is dropped (status STALE), so nothing lands after a logout.
 */
async function api(path, init = {}) {
  const key = state.key;
  if (key === undefined) return { status: STALE, body: undefined };
  const headers = { authorization: `Bearer ${key}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { ...init, headers });
  } catch {
    return { status: state.key === key ? 0 : STALE, body: undefined };
  }
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (state.key !== key) return { status: STALE, body: undefined };
  if (response.status === 401) logout('The server refused this key (invalid or revoked). Enter another one.');
  return { status: response.status, body };
}

// --- the key ---------------------------------------------------------------------------------------------------

function showLogin(message) {
  byId('dashboard').hidden = true;
  byId('forget').hidden = true;
  byId('login').hidden = false;
  byId('login-error').textContent = message;
  setConnection('offline', 'not connected');
  byId('key').focus();
}

async function login(event) {
  event.preventDefault();
  const key = byId('key').value.trim();
  if (key === '') return;
  byId('login-error').textContent = 'Checking the key…';
  let response;
  try {
    response = await fetch('/api/v1/alerts?limit=1', { headers: { authorization: `Bearer ${key}` } });
  } catch {
    byId('login-error').textContent = 'The server cannot be reached.';
    return;
  }
  if (response.status === 401) {
    byId('login-error').textContent = 'This key was refused: it is not a valid API key, or it was revoked.';
    return;
  }
  if (!response.ok) {
    byId('login-error').textContent = `The server answered ${response.status}; try again.`;
    return;
  }
  sessionStorage.setItem(KEY_ITEM, key);
  byId('key').value = '';
  start(key);
}

function logout(message) {
  sessionStorage.removeItem(KEY_ITEM);
  state.key = undefined;
  state.socket?.close();
  state.socket = undefined;
  for (const timer of state.timers) clearInterval(timer);
  state.timers = [];
  state.alerts.clear();
  state.lastEventId = undefined;
  byId('alerts').replaceChildren();
  showLogin(message);
}

function start(key) {
  state.key = key;
  byId('login').hidden = true;
  byId('dashboard').hidden = false;
  byId('forget').hidden = false;
  byId('login-error').textContent = '';
  connectSocket();
  void loadAlerts();
  void loadCollectors();
  state.timers.push(
    setInterval(() => void loadCollectors(), REFRESH_MS),
    setInterval(() => void loadConnections(), REFRESH_MS),
  );
}

// --- live events ---------------------------------------------------------------------------------------------

function connectSocket() {
  const socket = io({ auth: { token: state.key } });
  state.socket = socket;
  setConnection('connecting', 'connecting…');
  socket.on('connect', () => {
    setConnection('live', 'live');
    // After a reconnect, `since` brings the events missed meanwhile, in order.
    const request = state.lastEventId === undefined ? {} : { since: state.lastEventId };
    socket.emit('subscribe', request, (answer) => {
      if (!answer?.ok) {
        setConnection('error', `subscription refused: ${answer?.error ?? 'no answer'}`);
        return;
      }
      void loadAlerts();
    });
  });
  socket.on('connect_error', (error) => {
    if (error?.message === 'unauthorized') logout('The server refused this key for live updates (invalid or revoked).');
    else setConnection('offline', `offline (${error?.message ?? 'no connection'}); retrying`);
  });
  socket.on('disconnect', (why) => {
    if (why === 'io server disconnect') setConnection('offline', 'disconnected by the server (was the key revoked?)');
    else if (why !== 'io client disconnect') setConnection('offline', `disconnected (${why}); reconnecting`);
  });
  for (const type of ALERT_EVENTS) {
    socket.on(type, (event) => {
      if (typeof event?.eventId === 'string') state.lastEventId = event.eventId;
      upsertAlert(event?.alert, true);
    });
  }
  socket.on('flows.stats', renderStats);
}

// --- alerts ----------------------------------------------------------------------------------------------------

async function loadAlerts() {
  const { status, body } = await api('/api/v1/alerts?limit=100');
  if (status === STALE) return;
  if (status !== 200 || !Array.isArray(body?.alerts)) {
    byId('alerts-note').textContent = `Cannot list alerts: ${reason(body, status)}`;
    return;
  }
  for (const alert of body.alerts) upsertAlert(alert, false);
  updateAlertsNote();
}

function alertParts(id) {
  const parts = {
    severity: h('span', { class: 'severity' }),
    kind: h('span', { class: 'kind' }),
    status: h('span', { class: 'status' }),
    connection: h('p', { class: 'connection-key' }),
    meta: h('p', { class: 'meta' }),
    explanation: h('pre', { class: 'explanation' }, 'Loading the explanation…'),
    ack: h('button', { type: 'button', class: 'ack' }, 'Acknowledge'),
    error: h('p', { class: 'error', role: 'alert' }),
  };
  const node = h(
    'li', { class: 'alert', 'data-id': id },
    h('div', { class: 'alert-head' }, parts.severity, parts.kind, parts.status),
    parts.connection, parts.meta, parts.explanation,
    h('div', { class: 'actions' }, parts.ack, parts.error),
  );
  parts.ack.addEventListener('click', () => void acknowledge(id));
  return { node, parts };
}

function statusText(alert) {
  switch (alert.status) {
    case 'acknowledged':
      return `acknowledged by ${alert.acknowledgedBy ?? 'someone'} at ${time(alert.acknowledgedAt)}`;
    case 'resolved':
      return `resolved (${alert.resolution?.reason ?? 'no reason'}) at ${time(alert.resolvedAt)}`;
    case 'suppressed':
      return `suppressed until ${time(alert.suppressedUntil)}`;
    default:
      return String(alert.status);
  }
}

function fillAlert(entry) {
  const { alert, node, parts } = entry;
  node.dataset.severity = String(alert.severity);
  node.dataset.status = String(alert.status);
  parts.severity.textContent = String(alert.severity);
  parts.kind.textContent = String(alert.driftKind);
  parts.status.textContent = statusText(alert);
  const port = alert.dstPort === null || alert.dstPort === undefined ? '' : ` port ${alert.dstPort}`;
  parts.connection.textContent = `${side(alert.srcNamespace, alert.srcWorkload, alert.srcIp)} → ${side(alert.dstNamespace, alert.dstWorkload, alert.dstIp)}${port}/${alert.protocol}`;
  parts.meta.textContent = `${num(alert.flowCount)} flow(s) · first seen ${time(alert.firstSeen)} · last seen ${time(alert.lastSeen)}`;
  parts.ack.disabled = alert.status !== 'open';
  parts.ack.hidden = alert.status === 'resolved';
}

/** Newest first: ids are increasing decimal strings. */
function isNewer(a, b) {
  return a.length !== b.length ? a.length > b.length : a > b;
}

function placeAlert(entry) {
  const list = byId('alerts');
  const after = [...list.children].find((child) => isNewer(entry.alert.id, child.dataset.id ?? ''));
  list.insertBefore(entry.node, after ?? null);
  while (list.children.length > MAX_ALERTS) {
    const oldest = list.lastElementChild;
    state.alerts.delete(oldest.dataset.id);
    oldest.remove();
  }
}

/** Adds or updates one alert. A listed copy never overwrites one an event brought (events are newer). */
function upsertAlert(alert, fromEvent) {
  if (state.key === undefined || typeof alert?.id !== 'string' || !/^\d+$/.test(alert.id)) return;
  let entry = state.alerts.get(alert.id);
  if (entry && entry.fromEvent && !fromEvent) return;
  const created = entry === undefined;
  if (created) entry = { ...alertParts(alert.id), fromEvent: false };
  entry.alert = alert;
  entry.fromEvent = entry.fromEvent || fromEvent;
  fillAlert(entry);
  if (created) {
    state.alerts.set(alert.id, entry);
    placeAlert(entry);
    void explain(entry);
  }
  for (const ns of [alert.srcNamespace, alert.dstNamespace]) noteNamespace(ns);
  updateAlertsNote();
}

async function explain(entry) {
  const { status, body } = await api(`/api/v1/alerts/${encodeURIComponent(entry.alert.id)}`);
  if (status === STALE) return;
  if (status !== 200) {
    entry.parts.explanation.textContent = `No explanation: ${reason(body, status)}`;
    return;
  }
  const explanation = body?.alert?.explanation;
  entry.parts.explanation.textContent = typeof explanation?.text === 'string' ? explanation.text : JSON.stringify(explanation ?? null, null, 2);
}

async function acknowledge(id) {
  const entry = state.alerts.get(id);
  if (!entry) return;
  entry.parts.ack.disabled = true;
  entry.parts.error.textContent = '';
  const { status, body } = await api(`/api/v1/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST', body: '{}' });
  if (status === STALE) return;
  if (status === 200 && body?.alert) {
    upsertAlert(body.alert, true);
    return;
  }
  entry.parts.error.textContent = status === 403 ? 'Acknowledging needs an operator or admin key.' : `Not acknowledged: ${reason(body, status)}`;
  fillAlert(entry);
}

function updateAlertsNote() {
  const alerts = [...state.alerts.values()].map((e) => e.alert);
  const open = alerts.filter((a) => a.status === 'open').length;
  byId('alerts-note').textContent = alerts.length === 0 ? 'No drift yet: an alert shows up here the moment unexpected traffic is seen.' : `${open} open, ${alerts.length} listed.`;
  document.title = open > 0 ? `(${open}) Driftwatch` : 'Driftwatch';
}

// --- flows per second ----------------------------------------------------------------------------------------

function renderStats(stats) {
  if (!Array.isArray(stats?.namespaces)) return;
  const seconds = Math.max(0.001, num(stats.intervalMs) / 1000 || 1);
  state.lastStats = new Map();
  for (const entry of stats.namespaces) {
    const ns = String(entry?.namespace ?? '');
    state.lastStats.set(ns, entry);
    state.unexpectedTotals.set(ns, (state.unexpectedTotals.get(ns) ?? 0) + num(entry?.unexpected));
  }
  const names = [...new Set([...state.unexpectedTotals.keys(), ...state.lastStats.keys()])].sort();
  byId('stats').tBodies[0].replaceChildren(
    ...names.map((ns) => {
      const now = state.lastStats.get(ns);
      return h(
        'tr', { 'data-namespace': ns },
        h('th', { scope: 'row' }, ns),
        h('td', { class: 'allowed' }, rate(num(now?.allowed) / seconds)),
        h('td', { class: 'denied' }, rate(num(now?.denied) / seconds)),
        h('td', { class: 'unexpected' }, rate(num(now?.unexpected) / seconds)),
        h('td', { class: 'unexpected-total' }, String(state.unexpectedTotals.get(ns) ?? 0)),
      );
    }),
  );
  byId('stats-note').textContent = `Flows per second in the second ending ${time(stats.at)}; the total counts since this page opened.`;
  if (!state.namespace) {
    const busiest = [...state.lastStats.entries()].sort((a, b) => total(b[1]) - total(a[1]))[0];
    if (busiest) chooseNamespace(busiest[0]);
  }
  for (const ns of names) noteNamespace(ns);
}

function total(entry) {
  return num(entry?.allowed) + num(entry?.denied) + num(entry?.unexpected);
}

// --- connections of a namespace ------------------------------------------------------------------------------

function noteNamespace(ns) {
  if (typeof ns !== 'string' || ns === '' || state.namespaces.has(ns) || state.namespaces.size >= 500) return;
  state.namespaces.add(ns);
  const options = [...state.namespaces].sort().map((name) => h('option', { value: name }));
  byId('namespaces').replaceChildren(...options);
}

function chooseNamespace(ns) {
  state.namespace = ns;
  byId('namespace').value = ns;
  void loadConnections();
}

function endpointText(endpoint) {
  return side(endpoint?.namespace, endpoint?.workload, endpoint?.ip);
}

async function loadConnections() {
  const ns = state.namespace;
  if (!ns || state.key === undefined) return;
  const { status, body } = await api(`/api/v1/connections?namespace=${encodeURIComponent(ns)}`);
  if (status === STALE || ns !== state.namespace) return;
  const note = byId('connections-note');
  if (status !== 200 || !Array.isArray(body?.edges)) {
    byId('map').toggleAttribute('hidden', true);
    byId('connections').hidden = true;
    note.textContent = status === 404
      ? `The connection map is not available from this server (404: ${reason(body, status)}).`
      : `Cannot load the connections of ${ns}: ${reason(body, status)}`;
    return;
  }
  const edges = body.edges;
  note.textContent = edges.length === 0 ? `No connections recorded for ${ns} yet.` : `${edges.length} connection(s) of ${ns}.`;
  byId('connections').tBodies[0].replaceChildren(
    ...edges.map((edge) =>
      h(
        'tr', {},
        h('td', {}, endpointText(edge.src)),
        h('td', {}, endpointText(edge.dst)),
        h('td', {}, `${edge.port ?? '–'}/${edge.protocol ?? '?'}`),
        h('td', {}, String(num(edge.counts?.allowed))),
        h('td', {}, String(num(edge.counts?.denied))),
        h('td', { class: num(edge.counts?.unexpected) > 0 ? 'unexpected' : '' }, String(num(edge.counts?.unexpected))),
        h('td', {}, String(num(edge.counts?.unlabeled))),
        h('td', {}, time(edge.lastSeen)),
      ),
    ),
  );
  byId('connections').hidden = edges.length === 0;
  drawMap(edges);
}

/** Endpoints on an ellipse, one arrow per connection: red when unexpected, amber when denied, grey otherwise. */
function drawMap(edges) {
  const names = [];
  for (const edge of edges) for (const name of [endpointText(edge.src), endpointText(edge.dst)]) if (!names.includes(name)) names.push(name);
  const shown = names.slice(0, MAX_MAP_NODES);
  const place = new Map(shown.map((name, i) => {
    const angle = (2 * Math.PI * i) / Math.max(1, shown.length) - Math.PI / 2;
    return [name, { x: 320 + 230 * Math.cos(angle), y: 180 + 130 * Math.sin(angle) }];
  }));
  const lines = [];
  for (const edge of edges) {
    const a = place.get(endpointText(edge.src));
    const b = place.get(endpointText(edge.dst));
    if (!a || !b || a === b) continue;
    const length = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    const [dx, dy] = [((b.x - a.x) / length) * 10, ((b.y - a.y) / length) * 10];
    const kind = num(edge.counts?.unexpected) > 0 ? 'unexpected' : num(edge.counts?.denied) > 0 ? 'denied' : 'allowed';
    lines.push(
      s(
        'line', { x1: a.x + dx, y1: a.y + dy, x2: b.x - dx, y2: b.y - dy, class: `edge ${kind}`, 'marker-end': 'url(#arrow)' },
        s('title', {}, `${endpointText(edge.src)} → ${endpointText(edge.dst)} ${edge.port ?? ''}/${edge.protocol ?? ''}: ${kind}`),
      ),
    );
  }
  const nodes = [...place.entries()].map(([name, p]) =>
    s('g', { class: 'node' }, s('circle', { cx: p.x, cy: p.y, r: 8 }), s('text', { x: p.x, y: p.y - 14, 'text-anchor': 'middle' }, name)),
  );
  byId('map-edges').replaceChildren(...lines);
  byId('map-nodes').replaceChildren(...nodes);
  byId('map').toggleAttribute('hidden', edges.length === 0); // an SVG element has no `hidden` property
}

// --- collectors ------------------------------------------------------------------------------------------------

function gapText(gap) {
  const details = gap?.details === undefined || gap?.details === null ? '' : `: ${JSON.stringify(gap.details).slice(0, 120)}`;
  return `${gap?.kind ?? '?'} ×${num(gap?.count)} at ${time(gap?.at)}${details}`;
}

async function loadCollectors() {
  if (state.key === undefined) return;
  const { status, body } = await api('/api/v1/collectors');
  if (status === STALE) return;
  const note = byId('collectors-note');
  const table = byId('collectors');
  if (status !== 200 || !Array.isArray(body?.collectors)) {
    table.hidden = true;
    note.textContent = status === 404
      ? `The collectors' state is not available from this server (404: ${reason(body, status)}).`
      : `Cannot load the collectors: ${reason(body, status)}`;
    return;
  }
  const collectors = body.collectors;
  note.textContent = collectors.length === 0 ? 'No collector has reported yet.' : '';
  table.tBodies[0].replaceChildren(
    ...collectors.map((c) =>
      h(
        'tr', { 'data-state': c.connected ? 'connected' : 'disconnected' },
        h('td', {}, `${c.kind ?? '?'} ${c.address ?? ''}`),
        h('td', {}, c.connected ? 'connected' : 'disconnected'),
        h('td', {}, time(c.lastSeenTime)),
        h('td', {}, String(num(c.lostEvents))),
        h('td', {}, c.lastError ?? ''),
        h('td', {}, h('ul', { class: 'gaps' }, ...(Array.isArray(c.gaps) ? c.gaps : []).slice(0, 5).map((g) => h('li', {}, gapText(g))))),
      ),
    ),
  );
  table.hidden = collectors.length === 0;
}

// --- start -----------------------------------------------------------------------------------------------------

byId('login-form').addEventListener('submit', (event) => void login(event));
byId('forget').addEventListener('click', () => logout('The key was forgotten. Enter one to continue.'));
byId('namespace-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const ns = byId('namespace').value.trim();
  if (ns !== '') chooseNamespace(ns);
});
const saved = sessionStorage.getItem(KEY_ITEM);
if (saved) start(saved);
else showLogin('');
