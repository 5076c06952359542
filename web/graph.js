// graph: the state graph of a table (GET /table's JSON) laid out by dagre (vendor/dagre) and
// drawn as SVG: one node per state, one edge per (from, to) pair with its rows; states
// coloured by their live count, a session's path highlighted. Nodes and edges are buttons
// (Tab, Enter) that report their rows through onSelect.
import {graphlib, layout} from './vendor/dagre/dagre.esm.js';
import {el} from './api.js';

export function countClass(n) {
  return n <= 0 ? 'c0' : n === 1 ? 'c1' : n < 10 ? 'c2' : n < 100 ? 'c3' : 'c4';
}

// The rows a role's view shows: its own and the `any` rows; `*` rows only when asked (they
// would draw an edge from every state), or when they are on the highlighted path.
export function viewRows(table, role, wild) {
  return table.transitions.filter(
    (t) => (role === 'all' || t.role === role || t.role === 'any') && (wild || !t.wildcard || t.on_path)
  );
}

// A state's rows in the order the engine tries them: its own rows, then the `*` ones.
export function rowsFrom(table, role, state) {
  const rows = table.transitions.filter((t) => t.from === state && (role === 'all' || t.role === role || t.role === 'any'));
  return rows.filter((t) => !t.wildcard).concat(rows.filter((t) => t.wildcard));
}

const MIN_W = 70;

export function drawGraph(container, table, opts = {}) {
  const role = opts.role || 'all';
  const rows = viewRows(table, role, !!opts.wild);
  const g = new graphlib.Graph();
  g.setGraph({rankdir: 'TB', nodesep: 22, ranksep: 34, edgesep: 6, marginx: 10, marginy: 10});
  g.setDefaultEdgeLabel(() => ({}));
  const stateOf = new Map(table.states.map((s) => [s.name, s]));
  const edges = new Map();
  for (const t of rows) {
    if (!t.to || t.to === t.from || !stateOf.has(t.to)) continue;
    const k = t.from + '\u2192' + t.to;
    if (!edges.has(k)) edges.set(k, {key: k, from: t.from, to: t.to, rows: []});
    edges.get(k).rows.push(t);
  }
  // one role's view leaves out the states none of its rows touch (both roles: every state)
  const used = new Set([table.initial]);
  for (const e of edges.values()) used.add(e.from).add(e.to);
  const states = role === 'all' ? table.states : table.states.filter((s) => used.has(s.name));
  for (const s of states) g.setNode(s.name, {width: Math.max(MIN_W, s.name.length * 7.4 + 34), height: 30});
  for (const e of edges.values()) g.setEdge(e.from, e.to);
  layout(g);
  // the drawing's box: nodes and every edge point (dagre's may route an edge outside its own)
  let width = g.graph().width, height = g.graph().height;
  for (const e of edges.values())
    for (const p of g.edge(e.from, e.to).points) {
      width = Math.max(width, p.x + 10);
      height = Math.max(height, p.y + 10);
    }
  // fit: scaled down to the container (the session's small graph), else drawn at its size
  const svg = el('svg:svg', {width: opts.fit ? '100%' : Math.ceil(width), height: opts.fit ? '100%' : Math.ceil(height), viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`,
    role: 'group', 'aria-label': `State graph of table ${table.name}, role ${role}: ${states.length} states, ${edges.size} transitions`});
  const marker = el('svg:marker', {id: 'arrow-' + (opts.id || 'g'), viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse'},
    el('svg:path', {d: 'M0,0 L10,5 L0,10 z', fill: '#57606a'}));
  svg.append(el('svg:defs', {}, marker));
  const nodes = new Map();
  const edgeEls = new Map();
  const select = (kind, key, focusEl) => {
    svg.querySelectorAll('.sel').forEach((x) => x.classList.remove('sel'));
    if (focusEl) focusEl.classList.add('sel');
    if (opts.onSelect) opts.onSelect(kind, key, kind === 'edge' ? edges.get(key).rows : rowsFrom(table, role, key));
  };
  const activate = (e, fn) => {
    if (e.type === 'click' || e.key === 'Enter' || e.key === ' ') { e.preventDefault(); fn(); }
  };
  for (const e of edges.values()) {
    const pts = g.edge(e.from, e.to).points;
    const d = 'M' + pts.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' L');
    const failure = e.rows.every((r) => r.failure);
    const label = `Transition ${e.from} to ${e.to}: ${[...new Set(e.rows.map((r) => r.event))].join(', ')}`;
    const ge = el('svg:g', {class: 'edge' + (failure ? ' failure' : ''), tabindex: 0, role: 'button', 'aria-label': label, 'data-edge': e.key},
      el('svg:title', {text: label}),
      el('svg:path', {class: 'line', d, 'marker-end': `url(#arrow-${opts.id || 'g'})`}),
      el('svg:path', {class: 'hit', d}));
    const fn = () => select('edge', e.key, ge);
    ge.addEventListener('click', (ev) => activate(ev, fn));
    ge.addEventListener('keydown', (ev) => activate(ev, fn));
    edgeEls.set(e.key, ge);
    svg.append(ge);
  }
  for (const s of states) {
    const n = g.node(s.name);
    const cls = 'node c0' + (s.terminal ? ' terminal' : '') + (s.failure ? ' failure' : '');
    const text = el('svg:text', {x: n.x, y: n.y + 4, 'text-anchor': 'middle', text: s.name});
    const gn = el('svg:g', {class: cls, tabindex: 0, role: 'button', 'data-state': s.name, 'aria-label': `State ${s.name}`},
      el('svg:title', {text: s.description || s.name}),
      el('svg:rect', {x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height}), text);
    const fn = () => select('state', s.name, gn);
    gn.addEventListener('click', (ev) => activate(ev, fn));
    gn.addEventListener('keydown', (ev) => activate(ev, fn));
    nodes.set(s.name, {g: gn, text, s});
    svg.append(gn);
  }
  container.replaceChildren(svg);
  return {
    svg,
    edges,
    // counts: Map state -> live sessions; only the nodes whose count changed are touched
    setCounts(counts) {
      for (const [name, n] of nodes) {
        const c = counts.get(name) || 0;
        if (n.count === c) continue;
        n.count = c;
        for (const k of ['c0', 'c1', 'c2', 'c3', 'c4']) n.g.classList.remove(k);
        n.g.classList.add(countClass(c));
        n.text.textContent = c ? `${name} · ${c}` : name;
        n.g.setAttribute('aria-label', `State ${name}: ${c} live session${c === 1 ? '' : 's'}`);
      }
    },
    // the path of a session (GET /table?session=): visited states and rows on its path
    setPath(tbl) {
      const visited = new Set(tbl.states.filter((s) => s.visited).map((s) => s.name));
      for (const [name, n] of nodes) n.g.classList.toggle('visited', visited.has(name));
      const on = new Set(tbl.transitions.filter((t) => t.on_path && t.to).map((t) => t.from + '\u2192' + t.to));
      for (const [k, ge] of edgeEls) ge.classList.toggle('onpath', on.has(k));
    },
  };
}
