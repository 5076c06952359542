// view_table: the Table view: the running table's graph for a role, states coloured by their
// live count (updated as events arrive), a state's or a transition's rows on selection.
import {el} from './api.js';
import {drawGraph} from './graph.js';
import {rowItem} from './rows.js';

// 14400000 -> "14400000 ms (4 h)"
function ms(v) {
  const units = [[3600000, 'h'], [60000, 'min'], [1000, 's']];
  for (const [n, u] of units) if (v >= n && v % n === 0) return `${v} ms (${v / n} ${u})`;
  return `${v} ms`;
}

export function tableView(store) {
  const roleSel = document.getElementById('table-role');
  const wild = document.getElementById('table-wild');
  const box = document.getElementById('table-graph');
  const detail = document.getElementById('table-detail');
  const meta = document.getElementById('table-meta');
  let graph = null;
  let drawnFor = null;

  function showState(name, rows) {
    const s = store.table.states.find((x) => x.name === name);
    const facts = [['live sessions', store.counts.get(name) || 0], ['terminal', s.terminal ? 'yes' : 'no']];
    if (s.timer_ms) facts.push(['timer', `${ms(s.timer_ms)} → ${s.timer_event}`]);
    if (s.max_ms) facts.push(['max time', ms(s.max_ms)]);
    detail.replaceChildren(el('h3', {text: `State ${name}`}), s.description ? el('p', {text: s.description}) : '',
      el('dl.facts', {}, facts.map(([k, v]) => [el('dt', {text: k}), el('dd', {text: String(v)})])),
      el('h3', {text: `${rows.length} row${rows.length === 1 ? '' : 's'} from ${name}`}), el('ul.rows', {}, rows.map(rowItem)));
  }
  function showEdge(key, rows) {
    detail.replaceChildren(el('h3', {text: `Transition ${key}`}), el('ul.rows', {}, rows.map(rowItem)));
  }
  function draw() {
    if (!store.table) return;
    graph = drawGraph(box, store.table, {role: roleSel.value, wild: wild.checked, id: 'table',
      onSelect: (kind, key, rows) => (kind === 'state' ? showState(key, rows) : showEdge(key, rows))});
    graph.setCounts(store.counts);
    drawnFor = store.table;
    meta.textContent = `${store.table.name} ${store.table.version || ''} · hash ${store.table.hash} · ${store.table.states.length} states, ${store.table.transitions.length} rows`;
  }
  roleSel.addEventListener('change', draw);
  wild.addEventListener('change', draw);
  return {
    show() { if (drawnFor !== store.table) draw(); else if (graph) graph.setCounts(store.counts); },
    counts() { if (graph) graph.setCounts(store.counts); },
    tableChanged() { drawnFor = null; },
  };
}
