// view_sessions: the Sessions view: the live list (filtered, virtualised: only the rows in
// sight exist in the DOM, updated once per frame however many events arrive) and one
// session: its facts, the commands its state accepts, its path on the graph and its history
// as a timeline.
import {api, el} from './api.js';
import {drawGraph} from './graph.js';

const ROW = 28; // px, as .vrow in app.css
const SPARE = 8; // rows drawn above and below the visible ones

// The built-in events (include/session_core/table.h SC_BUILTIN_EVENTS): any other event the
// state accepts is the table's own, sent with POST /sessions/{id}/events/{name}.
const BUILTIN = new Set(('MakeCall IncomingCall AcceptCall RejectCall HangupCall HoldCall ResumeCall SendDTMF BridgeSessions ' +
  'UnbridgeSessions BlindTransfer StartAttendedTransfer CompleteAttendedTransfer CancelAttendedTransfer Dialog100Trying ' +
  'Dialog180Ringing Dialog183SessionProgress Dialog200OK DialogACK DialogBYE DialogCANCEL DialogReINVITE ' +
  'DialogReINVITEAccepted DialogReINVITERejected DialogREFER DialogNOTIFY DialogINFO DialogUPDATE Dialog3xx Dialog4xx ' +
  'Dialog5xx Dialog6xx Dialog487RequestTerminated DialogTimeout DialogError MediaReady MediaError DtmfReceived RtpTimeout ' +
  'TransferRequested TransferAccepted TransferProgress TransferSucceeded TransferFailed ReplacesReceived PeerAnswered ' +
  'PeerRejected PeerHangup PeerHold PeerResume StateTimer SessionExpired ActionFailed CheckConditions Recovered Shutdown ' +
  'Migrated PeerEarlyMedia Killed').split(' '));

// The commands of the API, by the event each one sends; `input`: what it asks for first.
const COMMANDS = [
  {event: 'AcceptCall', cmd: 'accept', label: 'Answer'},
  {event: 'RejectCall', cmd: 'reject', label: 'Reject (486)', body: () => ({code: 486})},
  {event: 'HangupCall', cmd: 'hangup', label: 'Hang up', danger: true},
  {event: 'HoldCall', cmd: 'hold', label: 'Hold'},
  {event: 'ResumeCall', cmd: 'resume', label: 'Resume'},
  {event: 'SendDTMF', cmd: 'dtmf', label: 'Send DTMF', input: 'digits', body: (v) => ({digits: v})},
  {event: 'BlindTransfer', cmd: 'transfer', label: 'Transfer', input: 'target SIP URI', body: (v) => ({target: v})},
];

export function sessionsView(store) {
  const list = document.getElementById('s-list');
  const space = list.firstElementChild;
  const detail = document.getElementById('s-detail');
  const count = document.getElementById('s-count');
  const fText = document.getElementById('f-text');
  const fState = document.getElementById('f-state');
  const fRole = document.getElementById('f-role');
  let rows = []; // the filtered sessions, newest first
  let pool = [];
  let active = -1; // keyboard position in rows
  let selected = null;
  let dirty = true;
  let refreshTimer = null;

  function filter() {
    const q = fText.value.trim().toLowerCase();
    const st = fState.value, role = fRole.value;
    rows = [];
    for (const s of store.sessions.values()) {
      if (st && s.state !== st) continue;
      if (role && s.role !== role) continue;
      if (q && !(s.id.includes(q) || (s.call_id || '').toLowerCase().includes(q) || (s.remote_uri || '').toLowerCase().includes(q)))
        continue;
      rows.push(s);
    }
    rows.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
    count.textContent = `${rows.length} of ${store.sessions.size} sessions`;
    space.style.height = rows.length * ROW + 'px';
    dirty = false;
  }
  function render() {
    if (dirty) filter();
    const first = Math.max(0, Math.floor(list.scrollTop / ROW) - SPARE);
    const n = Math.min(rows.length - first, Math.ceil(list.clientHeight / ROW) + 2 * SPARE);
    while (pool.length < n) {
      const r = el('div.vrow', {role: 'option'}, el('span'), el('span'), el('span'), el('span'));
      r.addEventListener('click', () => open(r.dataset.id, true));
      list.append(r);
      pool.push(r);
    }
    for (let i = 0; i < pool.length; i++) {
      const r = pool[i];
      if (i >= n) { r.hidden = true; continue; }
      const s = rows[first + i];
      r.hidden = false;
      r.style.top = (first + i) * ROW + 'px';
      r.dataset.id = s.id;
      r.id = 's-row-' + (first + i);
      r.setAttribute('aria-selected', s.id === selected ? 'true' : 'false');
      r.classList.toggle('active-desc', first + i === active);
      const c = r.children;
      c[0].textContent = s.id;
      c[1].textContent = s.role || '';
      c[2].textContent = s.state || '';
      c[2].className = s.outcome && s.outcome !== 'normal' ? 'failed' : '';
      c[3].textContent = s.remote_uri || '';
    }
    if (active >= 0 && active < rows.length) list.setAttribute('aria-activedescendant', 's-row-' + active);
  }
  let framed = false;
  function schedule() {
    if (framed) return;
    framed = true;
    requestAnimationFrame(() => { framed = false; if (!list.closest('[hidden]')) render(); });
  }
  list.addEventListener('scroll', schedule);
  for (const f of [fText, fState, fRole]) f.addEventListener('input', () => { dirty = true; list.scrollTop = 0; schedule(); });
  list.addEventListener('keydown', (e) => {
    if (!rows.length) return;
    const page = Math.floor(list.clientHeight / ROW);
    const moves = {ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, Home: -1e9, End: 1e9};
    if (e.key in moves) {
      e.preventDefault();
      active = Math.max(0, Math.min(rows.length - 1, (active < 0 ? 0 : active) + moves[e.key]));
      const y = active * ROW;
      if (y < list.scrollTop) list.scrollTop = y;
      else if (y + ROW > list.scrollTop + list.clientHeight) list.scrollTop = y + ROW - list.clientHeight;
      render();
    } else if (e.key === 'Enter' && active >= 0) {
      e.preventDefault();
      open(rows[active].id, true);
    }
  });

  function fillStates() {
    const cur = fState.value;
    fState.replaceChildren(el('option', {value: '', text: 'any'}), ...(store.table ? store.table.states : []).map((s) => el('option', {text: s.name})));
    fState.value = cur;
  }

  // ---- one session ----
  function facts(s) {
    const f = s.fields || {}, m = s.media || {};
    const out = [['role', s.role], ['state', `${s.state} (${s.time_in_state_ms} ms)`], ['outcome', s.outcome || '—'], ['Call-ID', s.call_id],
      ['local', s.local_uri], ['remote', s.remote_uri], ['created', s.created_at], ['transport', f.transport], ['codec', f.codec],
      ['RTP local', f.local_rtp], ['RTP remote', f.remote_rtp], ['direction', f.media_direction]];
    if (s.media) out.push(['packets in / out', `${m.packets_in} / ${m.packets_out}`], ['lost, jitter', `${m.lost}, ${m.jitter_ms} ms`]);
    if (s.links && s.links.peer) out.push(['peer', s.links.peer]);
    out.push(['conditions', Object.entries(s.conditions || {}).map(([k, v]) => `${k}=${v}`).join(' ')]);
    const vars = Object.entries(s.variables || {});
    if (vars.length) out.push(['variables', vars.map(([k, v]) => `${k}=${v}`).join(' ')]);
    if (s.health && s.health.verdict !== 'ok') out.push(['health', `${s.health.verdict}: ${s.health.reasons.join(', ')}`]);
    return el('dl.facts', {}, out.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [el('dt', {text: k}), el('dd', {text: String(v)})]));
  }
  function commands(s, status) {
    const acc = new Set(s.possible_events || []);
    const box = el('div.commands', {role: 'group', 'aria-label': 'Commands the state accepts'});
    const run = async (label, path, body) => {
      status.textContent = `${label}…`;
      const r = await api('POST', path, body || {});
      status.textContent = r.ok ? `${label}: done` : `${label}: ${r.status} ${(r.json && (r.json.message || r.json.error)) || ''}`;
      status.className = r.ok ? '' : 'bad';
      refreshSoon(0);
    };
    const base = `/sessions/${encodeURIComponent(s.id)}/`;
    for (const c of COMMANDS) {
      if (!acc.has(c.event)) continue;
      if (c.input) {
        const id = `cmd-${c.cmd}`;
        const inp = el('input', {id, size: 14, placeholder: c.input});
        box.append(el('label', {for: id, text: c.label}), inp,
          el('button', {type: 'button', 'data-cmd': c.cmd, text: c.label, onclick: () => inp.value && run(c.label, base + c.cmd, c.body(inp.value))}));
      } else {
        box.append(el('button', {type: 'button', class: c.danger ? 'danger' : null, 'data-cmd': c.cmd, text: c.label, onclick: () => run(c.label, base + c.cmd, c.body && c.body())}));
      }
    }
    for (const ev of acc) {
      if (BUILTIN.has(ev)) continue;
      box.append(el('button', {type: 'button', 'data-event': ev, text: `Send ${ev}`, onclick: () => run(`Send ${ev}`, base + 'events/' + encodeURIComponent(ev))}));
    }
    if (!box.childElementCount) box.append(el('span', {text: 'The state accepts no command.'}));
    return box;
  }
  function timeline(hist) {
    const us = (d) => (d >= 1000 ? `${(d / 1000).toFixed(1)} ms` : `${d} µs`);
    return el('ol.timeline', {'aria-label': 'History'}, hist.map((h) => {
      const failed = h.outcome !== 'taken' || (h.actions || []).some((a) => a.result !== 0);
      return el('li', {class: failed ? 'failed' : null, 'data-seq': h.seq, 'data-event': h.event},
        el('div', {}, el('span.when', {text: `#${h.seq} ${h.time.slice(11, 23)} `}), el('strong', {text: h.event}),
          ` ${h.from} → ${h.to || h.from}`, h.outcome !== 'taken' ? el('span.tag.fail', {text: h.outcome}) : null,
          h.event_text ? el('span.mono', {text: ` “${h.event_text}”`}) : null),
        (h.guards || []).length ? el('div', {}, 'guards: ', h.guards.map((g) => el('span', {class: 'tag ' + (g.passed ? 'pass' : 'fail'),
          text: `${g.negate ? '!' : ''}${g.name} ${g.passed ? '✓' : '✗'}${g.cached ? ' (cached)' : ''}`}))) : null,
        (h.actions || []).length ? el('div', {}, 'actions: ', h.actions.map((a) => el('span', {class: 'tag' + (a.result ? ' fail' : ''),
          text: `${a.name} ${us(a.duration_us)}${a.result ? ' → ' + a.result : ''}`}))) : null);
    }));
  }
  let gen = 0;
  async function load(id) {
    const my = ++gen;
    const q = encodeURIComponent(id);
    const [s, h, t] = await Promise.all([api('GET', `/sessions/${q}`), api('GET', `/sessions/${q}/history`), api('GET', `/table?session=${q}`)]);
    if (my !== gen || selected !== id) return;
    if (s.status === 404) {
      detail.replaceChildren(el('h3', {text: `Session ${id}`}), el('p', {text: 'This session is gone (reaped).'}));
      return;
    }
    if (!s.ok) {
      detail.replaceChildren(el('p.bad', {text: `GET /sessions/${id}: ${s.status}`}));
      return;
    }
    const sess = s.json;
    const status = el('p', {role: 'status', id: 'cmd-status'});
    const prev = detail.querySelector('#cmd-status');
    if (prev) { status.textContent = prev.textContent; status.className = prev.className; }
    const mini = el('div.mini', {id: 's-graph'});
    detail.replaceChildren(el('h3', {text: `Session ${sess.id}`}),
      el('div.sgrid', {}, el('div', {}, facts(sess), el('h3', {text: 'Commands'}), commands(sess, status), status),
        el('div', {}, el('h3', {text: 'Path'}), mini)),
      el('h3', {text: `History (${(h.json || []).length} records${sess.history_dropped ? `, ${sess.history_dropped} older dropped` : ''})`}),
      timeline(h.ok ? h.json : []));
    if (t.ok) {
      const g = drawGraph(mini, t.json, {role: sess.role, id: 'session', fit: true});
      g.setPath(t.json);
      g.setCounts(new Map([[sess.state, 1]]));
    }
  }
  function refreshSoon(ms) {
    clearTimeout(refreshTimer);
    if (selected) refreshTimer = setTimeout(() => load(selected), ms === undefined ? 150 : ms);
  }
  function open(id, navigate) {
    selected = id;
    active = rows.findIndex((r) => r.id === id);
    if (navigate && location.hash !== '#sessions/' + id) history.replaceState(null, '', '#sessions/' + encodeURIComponent(id));
    detail.replaceChildren(el('p', {text: 'Loading…'}));
    render();
    load(id);
  }
  return {
    show(id) {
      fillStates();
      dirty = true;
      render();
      if (id && id !== selected) open(id, false);
    },
    changed(ids) {
      dirty = true;
      schedule();
      if (selected && ids.has(selected)) refreshSoon();
    },
    tableChanged: fillStates,
  };
}
