// api: the inspector's calls to sessiond. Every request carries the bearer token (kept in this
// tab's sessionStorage, asked for on a 401) as an Authorization header; the event stream is
// read with fetch() rather than EventSource, which cannot send that header: the token never
// goes into a URL or a cookie.
const KEY = 'sessiond-token';
let prompt = null; // () => Promise<string|null>: app.js asks the user

export function setTokenPrompt(fn) { prompt = fn; }
export function token() { return sessionStorage.getItem(KEY) || ''; }
export function setToken(t) { if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY); }

function headers(extra) {
  const h = Object.assign({}, extra || {});
  const t = token();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}

// One asking at a time: requests that get a 401 together wait for the same answer.
let asking = null;
async function askToken() {
  if (!prompt) return null;
  if (!asking) asking = prompt().finally(() => { asking = null; });
  const t = await asking;
  if (t) setToken(t);
  return t;
}

// {status, ok, json, text}; body: an object (JSON) or a string sent with ctype.
export async function api(method, path, body, ctype) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const opts = {method, headers: headers(), cache: 'no-store', credentials: 'omit'};
    if (body !== undefined) {
      opts.body = typeof body === 'string' ? body : JSON.stringify(body);
      opts.headers['Content-Type'] = ctype || 'application/json';
    }
    let r;
    try {
      r = await fetch(path, opts);
    } catch (e) {
      return {status: 0, ok: false, json: {error: 'sessiond unreachable: ' + e.message}, text: ''};
    }
    if (r.status === 401 && (await askToken())) continue;
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    return {status: r.status, ok: r.ok, json, text, link: r.headers.get('Link')};
  }
  return {status: 401, ok: false, json: {error: 'missing or wrong bearer token'}, text: ''};
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const STALL_MS = 15000; // three of the server's 5 s heartbeats missed

// GET /events?query as a stream of parsed events. Reconnects by itself (1 s, then up to 4 s
// apart) with Last-Event-ID = the last id seen, so nothing is missed or repeated within a run;
// after a restart the server sends a StreamReset, then the new run's events from its first.
// pause() drops the connection and keeps the id; resume() continues from it.
export class EventStream {
  constructor(query, onEvent, onStatus) {
    this.query = query || '';
    this.onEvent = onEvent;
    this.onStatus = onStatus || (() => {});
    this.lastId = null;
    this.running = false;
    this.ctrl = null;
  }
  start() {
    if (this.running) return;
    this.running = true;
    this.loop();
  }
  stop() {
    this.running = false;
    if (this.ctrl) this.ctrl.abort();
    this.onStatus('paused');
  }
  async loop() {
    let delay = 1000;
    while (this.running) {
      const ctrl = new AbortController();
      this.ctrl = ctrl;
      try {
        const h = headers({Accept: 'text/event-stream'});
        if (this.lastId) h['Last-Event-ID'] = this.lastId;
        const r = await fetch('/events' + this.query, {headers: h, signal: ctrl.signal, cache: 'no-store', credentials: 'omit'});
        if (r.status === 401) {
          if (!(await askToken())) { this.running = false; this.onStatus('error', 'no token'); return; }
          continue;
        }
        if (r.status === 400) {
          const j = await r.json().catch(() => ({}));
          this.running = false;
          this.onStatus('error', j.error || 'bad filter');
          return;
        }
        if (!r.ok) throw new Error('HTTP ' + r.status);
        this.onStatus('open', this.lastId);
        delay = 1000;
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        // the server writes at least a comment every 5 s: a silent connection is a dead one
        let heard = Date.now();
        const watchdog = setInterval(() => { if (Date.now() - heard > STALL_MS) ctrl.abort(); }, 1000);
        try {
          for (;;) {
            const {value, done} = await reader.read();
            if (done) break;
            heard = Date.now();
            buf += value.replace(/\r\n?/g, '\n');
            let i;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              this.block(buf.slice(0, i));
              buf = buf.slice(i + 2);
            }
          }
        } finally {
          clearInterval(watchdog);
        }
      } catch (e) {
        if (!this.running) return;
      }
      if (!this.running) return;
      this.onStatus('reconnecting', this.lastId);
      await sleep(delay);
      delay = Math.min(delay * 2, 4000);
    }
  }
  block(text) {
    let id = null;
    const data = [];
    for (const line of text.split('\n')) {
      if (!line || line[0] === ':') continue;
      const k = line.indexOf(':');
      const field = k < 0 ? line : line.slice(0, k);
      let v = k < 0 ? '' : line.slice(k + 1);
      if (v[0] === ' ') v = v.slice(1);
      if (field === 'id') id = v;
      else if (field === 'data') data.push(v);
    }
    if (!data.length) return;
    let ev;
    try { ev = JSON.parse(data.join('\n')); } catch (e) { return; }
    if (id !== null) this.lastId = id;
    this.onEvent(ev, id);
  }
}

// Small DOM helper: el('div.a.b', {attr: v, onclick: f}, child, 'text', ...).
export function el(spec, attrs, ...kids) {
  const [tag, ...classes] = spec.split('.');
  const e = tag.startsWith('svg:') ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  if (classes.length) e.setAttribute('class', classes.join(' '));
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of kids.flat(Infinity)) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}
