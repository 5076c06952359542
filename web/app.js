// app: the inspector's shell: the token dialog, the views behind #table, #sessions[/ID],
// #events and #reload, and the live store every view reads: the running table (GET /table)
// and the sessions (GET /sessions, then kept current from the event stream: no polling).
import {EventStream, api, setToken, setTokenPrompt} from './api.js';
import {eventsView} from './view_events.js';
import {reloadView} from './view_reload.js';
import {sessionsView} from './view_sessions.js';
import {tableView} from './view_table.js';

const $ = (id) => document.getElementById(id);

// ---- the token ----
const dialog = $('token-dialog');
function askToken() {
  return new Promise((resolve) => {
    $('token-input').value = '';
    const done = (v) => {
      $('token-form').removeEventListener('submit', ok);
      $('token-cancel').removeEventListener('click', cancel);
      dialog.close();
      resolve(v);
    };
    const ok = (e) => { e.preventDefault(); done($('token-input').value.trim() || null); };
    const cancel = () => done(null);
    $('token-form').addEventListener('submit', ok);
    $('token-cancel').addEventListener('click', cancel);
    dialog.showModal();
    $('token-input').focus();
  });
}
setTokenPrompt(askToken);
$('token-btn').addEventListener('click', async () => {
  const t = await askToken();
  if (t) { setToken(t); boot(); }
});

// ---- the store ----
const store = {
  table: null,
  sessions: new Map(), // id -> {id, role, state, call_id, remote_uri, created_at, outcome}
  counts: new Map(),   // state -> live sessions in it
  async reloadTable() {
    const r = await api('GET', '/table');
    if (!r.ok) return;
    store.table = r.json;
    for (const v of views) if (v.tableChanged) v.tableChanged();
    current().show(routeArg());
  },
};
function recount() {
  store.counts = new Map();
  for (const s of store.sessions.values()) store.counts.set(s.state, (store.counts.get(s.state) || 0) + 1);
}

const conn = $('conn');
let opened = null; // resolves when the live stream is connected
function setConn(s, info) {
  if (s === 'open' && opened) { opened(); opened = null; }
  conn.textContent = {open: 'live', reconnecting: 'reconnecting…', error: `error: ${info}`, paused: 'paused'}[s] || s;
  conn.className = s === 'open' ? '' : 'bad';
  conn.dataset.state = s;
}

// Events change the store; the views redraw once per frame at most.
let changed = new Set();
let framed = false;
let buffered = null; // events that arrive before GET /sessions answered
function apply(ev) {
  if (ev.type === 'TableReloaded') { store.reloadTable(); return; }
  if (ev.type === 'StreamReset' || ev.type === 'Gap') { // a restart (maybe with another table), or events lost
    if (ev.type === 'StreamReset') store.reloadTable();
    resync();
    return;
  }
  if (!ev.session) return;
  let s = store.sessions.get(ev.session);
  if (ev.type === 'SessionReaped') {
    store.sessions.delete(ev.session);
  } else {
    if (!s) {
      s = {id: ev.session, role: ev.role, state: ev.state, remote_uri: ev.uri || '', call_id: '', created_at: ev.time, outcome: null};
      store.sessions.set(ev.session, s);
    }
    if (ev.state) s.state = ev.state;
    if (ev.type === 'SessionEnded') s.outcome = ev.outcome;
  }
  changed.add(ev.session);
  if (!framed) {
    framed = true;
    requestAnimationFrame(() => {
      framed = false;
      recount();
      const ids = changed;
      changed = new Set();
      tv.counts();
      sv.changed(ids);
    });
  }
}
function onEvent(ev) {
  if (buffered) buffered.push(ev);
  else apply(ev);
}
async function resync() {
  buffered = [];
  // every page, following the Link headers (rel="next")
  const all = new Map();
  let path = '/sessions?limit=1000', ok = true;
  while (path) {
    const r = await api('GET', path);
    if (!r.ok || !Array.isArray(r.json)) { ok = false; break; }
    for (const s of r.json) all.set(s.id, s);
    const m = /<([^>]*)>\s*;\s*rel="next"/.exec(r.link || '');
    path = m && m[1].startsWith('/sessions?') ? m[1] : null;
  }
  if (ok) {
    store.sessions = all;
    recount();
  }
  const evs = buffered;
  buffered = null;
  for (const ev of evs) apply(ev);
  tv.counts();
  sv.changed(new Set());
}

// ---- views and routing ----
const tv = tableView(store);
const sv = sessionsView(store);
const ev = eventsView(store);
const rv = reloadView(store);
const views = [tv, sv, ev, rv];
const byName = {table: tv, sessions: sv, events: ev, reload: rv};
const routeName = () => (location.hash.slice(1).split('/')[0] || 'table');
const routeArg = () => decodeURIComponent(location.hash.slice(1).split('/').slice(1).join('/'));
const current = () => byName[routeName()] || tv;
function route() {
  const name = byName[routeName()] ? routeName() : 'table';
  for (const n of Object.keys(byName)) {
    $('view-' + n).hidden = n !== name;
    const a = $('nav-' + n);
    if (n === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `sessiond · ${name}`;
  if (store.table) byName[name].show(routeArg());
}
window.addEventListener('hashchange', route);

let live = null;
async function boot() {
  if (live) live.stop();
  // the stream first, then the list: nothing falls between them (events queue meanwhile)
  buffered = [];
  live = new EventStream('?type=SessionCreated,StateChanged,SessionEnded,SessionReaped,TableReloaded&name=ui-live&overflow=drop-oldest', onEvent, setConn);
  const connected = new Promise((r) => { opened = r; setTimeout(r, 3000); });
  live.start();
  await connected;
  const t = await api('GET', '/table');
  if (!t.ok) {
    setConn('error', `GET /table: ${t.status} ${(t.json && t.json.error) || ''}`);
    return;
  }
  store.table = t.json;
  await resync();
  for (const v of views) if (v.tableChanged) v.tableChanged();
  route();
  document.body.dataset.ready = '1';
}
route();
boot();
