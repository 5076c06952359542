// view_events: the Events view: GET /events with the same filters, newest first (at most
// MAX rows kept), pause (the connection is dropped, the last id kept) and resume from that id,
// by itself after a lost connection too: no gap and no repeat within a run; a restart shows
// the server's StreamReset, then the new run's events from its first.
import {EventStream, el} from './api.js';

const MAX = 2000;
const SKIP = new Set(['seq', 'type', 'time', 'time_us', 'priority', 'session', 'role', 'state']);

export function eventsView() {
  const form = document.getElementById('e-form');
  const rowsEl = document.getElementById('e-rows');
  const status = document.getElementById('e-status');
  const pauseBtn = document.getElementById('e-pause');
  const f = (id) => document.getElementById(id).value.trim();
  let stream = null;
  let paused = false;
  let pending = [];
  let framed = false;

  function query() {
    const q = new URLSearchParams();
    for (const [k, id] of [['type', 'e-type'], ['session', 'e-session'], ['role', 'e-role'], ['state', 'e-state'], ['app', 'e-app'], ['priority', 'e-prio']])
      if (f(id)) q.set(k, f(id));
    if (f('e-from') === 'start') q.set('since', '0'); // (a resume's Last-Event-ID comes first)
    q.set('name', 'ui');
    return '?' + q.toString();
  }
  function row(ev, id) {
    const details = Object.entries(ev).filter(([k]) => !SKIP.has(k)).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
    const cls = ev.type === 'StreamReset' || ev.type === 'Gap' ? 'reset' : ev.priority === 'critical' ? 'critical' : null;
    return el('tr', {class: cls, 'data-id': id || '', 'data-seq': ev.seq, 'data-type': ev.type},
      el('td.mono', {text: id || ''}), el('td.mono', {text: (ev.time || '').slice(11, 23)}), el('td', {text: ev.type}),
      el('td.mono', {text: ev.session || ''}), el('td', {text: ev.state || ''}), el('td.d', {text: details}));
  }
  function flush() {
    framed = false;
    const frag = document.createDocumentFragment();
    for (let i = pending.length - 1; i >= 0; i--) frag.append(row(pending[i][0], pending[i][1]));
    pending = [];
    rowsEl.prepend(frag);
    while (rowsEl.childElementCount > MAX) rowsEl.lastElementChild.remove();
  }
  function onEvent(ev, id) {
    pending.push([ev, id]);
    if (!framed) { framed = true; requestAnimationFrame(flush); }
  }
  function onStatus(s, info) {
    const text = {open: `live${info ? ' (resumed after ' + info + ')' : ''}`, reconnecting: `reconnecting from ${info || 'now'}…`,
      paused: `paused at ${stream && stream.lastId ? stream.lastId : 'now'}`, error: `error: ${info}`}[s];
    status.textContent = text || s;
    status.className = s === 'error' || s === 'reconnecting' ? 'bad' : '';
    status.dataset.state = s;
  }
  function restart() {
    const last = stream ? stream.lastId : null;
    if (stream) stream.stop();
    stream = new EventStream(query(), onEvent, onStatus);
    stream.lastId = last; // new filters continue from the same point
    if (!paused) stream.start();
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); restart(); });
  // from the run's first event: a new stream, not a resume
  document.getElementById('e-from').addEventListener('change', () => {
    if (stream) stream.lastId = null;
    rowsEl.replaceChildren();
    restart();
  });
  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    pauseBtn.setAttribute('aria-pressed', String(paused));
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    if (paused) stream.stop();
    else stream.start();
  });
  document.getElementById('e-clear').addEventListener('click', () => rowsEl.replaceChildren());
  return {
    show() { if (!stream) restart(); },
  };
}
