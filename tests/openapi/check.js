// Checks docs/openapi.yaml: valid OpenAPI (swagger-parser), every route string of
// tools/sessiond in it, and a live sessiond answering every path and method of it, with valid
// and invalid requests, with a status the spec declares for that operation and a body that
// validates against the spec's schema for that status and content type (ajv).
//   node check.js SPEC --validate-only
//   node check.js SPEC   (env: SD_URL, SD_TOKEN, UAS_URI, DEAD_PORT, SRC; used by test_openapi.sh)
'use strict';
const fs = require('fs');
const path = require('path');
const http = require('http');
const SwaggerParser = require('@apidevtools/swagger-parser');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const specPath = process.argv[2];
let failures = 0;
function fail(msg) {
  failures++;
  console.log('FAIL ' + msg);
}

// ---- The spec --------------------------------------------------------------------------------

async function loadSpec() {
  await SwaggerParser.validate(specPath); // throws with the reason when invalid
  return SwaggerParser.dereference(specPath);
}

const METHODS = ['get', 'post', 'put', 'delete', 'patch', 'head', 'options', 'trace'];
function operations(spec) {
  const ops = [];
  for (const [p, item] of Object.entries(spec.paths))
    for (const m of METHODS) if (item[m]) ops.push({path: p, method: m.toUpperCase(), op: item[m]});
  return ops;
}

// Every route string of the daemon's route files names a spec path (or a piece of one), and
// every session command the routes dispatch is a spec path.
function checkRouteStrings(spec, src) {
  const dir = path.join(src, 'tools/sessiond');
  const files = fs.readdirSync(dir).filter((f) => /routes\.c$|^ops_sse\.c$|^http\.c$/.test(f));
  const specPaths = Object.keys(spec.paths).map((p) => p.replace(/\{[^}]+\}/g, 'X'));
  let n = 0;
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const m of text.matchAll(/"(\/[a-z][a-z./-]*)"/g)) {
      const lit = m[1].replace(/\/$/, '');
      n++;
      if (!specPaths.some((p) => p.includes(lit))) fail(`${f}: route string "${m[1]}" names no path of the spec`);
    }
    for (const m of text.matchAll(/strcmp\((?:cmd|sub), "([a-z/]+)"\)/g)) {
      n++;
      if (!spec.paths[`/sessions/{id}/${m[1]}`]) fail(`${f}: session command "${m[1]}" is not /sessions/{id}/${m[1]} in the spec`);
    }
  }
  if (n < 20) fail(`only ${n} route strings found in ${dir}`);
  return n;
}

// ---- Schemas ---------------------------------------------------------------------------------

const ajv = new Ajv({allErrors: true, strict: false});
addFormats(ajv);
const compiled = new Map();
function validator(schema) {
  if (!compiled.has(schema)) compiled.set(schema, ajv.compile(schema));
  return compiled.get(schema);
}
function mediaType(ct) {
  return (ct || '').split(';')[0].trim().toLowerCase();
}

// The answer against one response object of the spec (status already matched).
function checkBody(what, resp, res) {
  if (!resp.content) {
    if (res.body.length) fail(`${what}: the spec gives no content, got ${res.body.length} bytes`);
    return;
  }
  const mt = mediaType(res.headers['content-type']);
  const media = resp.content[mt];
  if (!media) {
    fail(`${what}: content type ${mt} is not one of ${Object.keys(resp.content).join(', ')}`);
    return;
  }
  if (!media.schema) return;
  let value = res.body;
  if (mt === 'application/json') {
    try {
      value = JSON.parse(res.body);
    } catch (e) {
      fail(`${what}: body is not JSON: ${res.body.slice(0, 200)}`);
      return;
    }
  }
  const v = validator(media.schema);
  if (!v(value)) fail(`${what}: body does not match the schema: ${ajv.errorsText(v.errors.slice(0, 5))}; body ${res.body.slice(0, 300)}`);
}

// ---- HTTP ------------------------------------------------------------------------------------

const base = new URL(process.env.SD_URL || 'http://127.0.0.1:8080');
const token = process.env.SD_TOKEN || '';
const hostHeader = base.host;

// One request on its own connection. opts: body (string or object: JSON), ctype, token (false:
// none, a string: that one), headers, stream (read only the head of a 200).
function request(method, p, opts = {}) {
  const headers = {Host: hostHeader, Connection: 'close'};
  let body = opts.body;
  if (body !== undefined && typeof body !== 'string') body = JSON.stringify(body);
  if (body !== undefined) {
    headers['Content-Type'] = 'ctype' in opts ? opts.ctype : 'application/json';
    if (headers['Content-Type'] === undefined) delete headers['Content-Type'];
    headers['Content-Length'] = Buffer.byteLength(body);
  } else if (opts.ctype) {
    headers['Content-Type'] = opts.ctype;
  }
  const tok = opts.token === undefined ? token : opts.token;
  if (tok) headers.Authorization = `Bearer ${tok}`;
  Object.assign(headers, opts.headers || {});
  return new Promise((resolve, reject) => {
    const req = http.request(
      {host: base.hostname, port: base.port, method, path: p, headers, agent: false, setHost: false},
      (res) => {
        const chunks = [];
        res.on('data', (c) => {
          chunks.push(c);
          if (opts.stream && res.statusCode === 200) {
            req.destroy();
            resolve({status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString()});
          }
        });
        res.on('end', () => resolve({status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString()}));
        res.on('error', () => {});
      }
    );
    req.setTimeout(10000, () => req.destroy(new Error(`${method} ${p}: timeout`)));
    req.on('error', (e) => (opts.stream ? null : reject(e)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// operations that this run cannot make succeed (other tests do)
const NO_2XX = new Set(['POST /sessions/{id}/transfer/cancel', 'POST /sessions/{id}/send', 'POST /sessions/{id}/events/{name}']);
// conference rooms need a table with JoinConference (sip.conference covers their 2xx)
NO_2XX.add('GET /conferences/{room}');
NO_2XX.add('POST /sessions/{id}/conference/mute');

// ---- Checks ----------------------------------------------------------------------------------

let spec, ops;
const called = new Set(); // "METHOD template" of every operation called
const calledPaths = new Set();
const seen = new Map(); // "METHOD template" -> Set of statuses answered
let nchecks = 0;

function fill(template, vals) {
  return template.replace(/\{([^}]+)\}/g, (_, k) => encodeURIComponent(vals[k] !== undefined ? vals[k] : 'none'));
}

// Call an operation of the spec (template path) and check the answer against it; `expect`:
// the status the test requires (one status or a list), beside being declared.
async function op(method, template, vals, opts = {}, expect) {
  const o = spec.paths[template] && spec.paths[template][method.toLowerCase()];
  if (!o) throw new Error(`the test calls ${method} ${template}, which the spec lacks`);
  const p = fill(template, vals || {}) + (opts.query || '');
  const res = await request(method, p, opts);
  const key = `${method} ${template}`;
  const what = `${method} ${p}${opts.label ? ' (' + opts.label + ')' : ''} -> ${res.status}`;
  nchecks++;
  called.add(key);
  calledPaths.add(template);
  if (!seen.has(key)) seen.set(key, new Set());
  seen.get(key).add(res.status);
  const want = expect === undefined ? null : [].concat(expect);
  if (want && !want.includes(res.status)) fail(`${what}: expected ${want.join(' or ')}: ${res.body.slice(0, 300)}`);
  if (res.status === 401 && !/^Bearer/.test(res.headers['www-authenticate'] || '')) fail(`${what}: no WWW-Authenticate: Bearer`);
  const resp = o.responses[String(res.status)] || o.responses.default;
  if (!resp) {
    fail(`${what}: status not declared (declared: ${Object.keys(o.responses).join(' ')}): ${res.body.slice(0, 200)}`);
    return res;
  }
  if (resp === spec.components.responses.Unavailable && !res.headers['retry-after']) fail(`${what}: no Retry-After`);
  checkBody(what, resp, res);
  return res;
}

// A request outside the spec's operations (a method or path it does not list): the answer
// must be `status` with the body of the component response `comp`.
async function offSpec(method, p, opts, status, comp) {
  const res = await request(method, p, opts);
  const what = `${method} ${p}${opts && opts.label ? ' (' + opts.label + ')' : ''} -> ${res.status}`;
  nchecks++;
  if (![].concat(status).includes(res.status)) fail(`${what}: expected ${status}: ${res.body.slice(0, 200)}`);
  else if (comp) checkBody(what, spec.components.responses[comp], res);
  return res;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what, fn, ms = 10000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
// Poll until the session is in state st (20 s at most; the error names the state it is in).
async function waitState(id, st) {
  let last = null;
  await waitFor(
    `session ${id} in ${st}`,
    async () => {
      const r = await request('GET', `/sessions/${encodeURIComponent(id)}`);
      last = r.status === 200 ? JSON.parse(r.body).state : r.status;
      return last === st;
    },
    20000
  ).catch((e) => {
    throw new Error(`${e.message} (it is in ${last})`);
  });
}

const PROBES = new Set(['/livez', '/readyz', '/healthz']);
const PUBLIC = new Set(['/ui', '/ui/{asset}']); // the inspector's files: no token, Host and Origin checked
const BIG = 'x'.repeat(70000);

// What every operation answers to requests that are refused before they run: no or a wrong
// token, a foreign Host or Origin, a body over the limit, a POST body that is not JSON, a
// method the path does not list.
async function guardChecks(vals) {
  for (const {path: t, method} of ops) {
    const probe = PROBES.has(t);
    const ok = 200; // the probes answer anyone (all is well here)
    const post = method === 'POST';
    const body = post ? '{}' : undefined;
    const q = t === '/debug/block-loop' ? '?ms=0' : '';
    const stream = t === '/events' || t === '/events/cluster';
    const open = probe || PUBLIC.has(t);
    await op(method, t, vals, {token: false, body, query: q, stream, label: 'no token'}, open ? ok : 401);
    await op(method, t, vals, {token: 'wrong-token-123', body, query: q, stream, label: 'wrong token'}, open ? ok : 401);
    await op(method, t, vals, {headers: {Host: 'evil.example:80'}, body, query: q, stream, label: 'foreign Host'}, probe ? ok : 421);
    await op(method, t, vals, {headers: {Origin: 'http://evil.example'}, body, query: q, stream, label: 'foreign Origin'}, probe ? ok : 403);
    await op(method, t, vals, {body: BIG, ctype: 'application/json', query: q, label: 'body over 64 KiB'}, 413);
    if (post) {
      await op(method, t, vals, {body: 'a=1', ctype: 'application/x-www-form-urlencoded', query: q, label: 'form body'}, 415);
      await op(method, t, vals, {body: '{}', ctype: 'text/plain', query: q, label: 'text/plain body'}, 415);
    }
    // methods the path does not list
    const p = fill(t, vals);
    for (const m of ['PUT', 'DELETE', 'PATCH'])
      if (!spec.paths[t][m.toLowerCase()]) await offSpec(m, p, {label: 'unlisted method'}, 405, 'MethodNotAllowed');
    const other = post ? 'GET' : 'POST';
    if (!spec.paths[t][other.toLowerCase()]) {
      // the documented exceptions (components.responses.MethodNotAllowed)
      if (probe && other === 'POST') await offSpec(other, p, {body: '{}'}, 200, null);
      else if (other === 'GET' && /^\/sessions\/\{id\}\/./.test(t)) await offSpec(other, p, {}, 404, 'NotFound');
      else if (other === 'POST' && t === '/sessions/{id}/history') await offSpec(other, p, {body: '{}'}, 404, 'NotFound');
      else await offSpec(other, p, {body: other === 'POST' ? '{}' : undefined}, 405, 'MethodNotAllowed');
    }
  }
}

async function main() {
  spec = await loadSpec();
  ops = operations(spec);
  console.log(`${specPath}: valid OpenAPI ${spec.openapi}, ${Object.keys(spec.paths).length} paths, ${ops.length} operations`);
  const src = process.env.SRC || path.resolve(__dirname, '../..');
  console.log(`route strings of tools/sessiond checked: ${checkRouteStrings(spec, src)}`);
  if (process.argv.includes('--validate-only')) return;

  const uas = process.env.UAS_URI;
  const defaultTable = fs.readFileSync(path.join(src, 'tables/default.yaml'), 'utf8');
  const N = 'no-such-session';

  // Sessions: A, an outgoing call the SIPp UAS answers (uas_hold); B and E, incoming calls of
  // SIPp UACs (ringing: --answer manual; uac_wait_bye, uac_rejected); C, an outgoing call
  // through the trunk to a port nobody answers; D, an outgoing call to the SIPp transferee.
  await waitFor('/readyz 200 (the store connected)', async () => (await request('GET', '/readyz')).status === 200);
  let r = await op('POST', '/calls', {}, {body: {to: uas, from: 'sip:openapi@127.0.0.1'}}, 201);
  const A = JSON.parse(r.body).id;
  const incoming = (port) =>
    waitFor(`the incoming call from port ${port}`, async () => {
      const s = JSON.parse((await request('GET', '/sessions')).body);
      const b = s.find((x) => x.role === 'uas' && (x.remote_uri || '').includes(`:${port}`));
      return b && b.state === 'Ringing' ? b.id : null;
    });
  const B = await incoming(process.env.UAC_PORT);
  const E = await incoming(process.env.REJ_PORT);
  r = await op('POST', '/calls', {}, {body: {to: process.env.XFER_URI}}, 201);
  const D = JSON.parse(r.body).id;
  r = await op('POST', '/calls', {}, {body: {trunk: 'carrier', to: 'sip:bob'}}, 201);
  const C = JSON.parse(r.body).id;
  await waitState(A, 'Active');

  await guardChecks({id: A, name: 'carrier', user: 'bob', asset: 'app.js'});

  // POST /calls
  await op('POST', '/calls', {}, {body: '{"to": ', label: 'bad JSON'}, 400);
  await op('POST', '/calls', {}, {body: '[1]', label: 'not an object'}, 400);
  await op('POST', '/calls', {}, {body: {to: 42}, label: 'to not a string'}, 400);
  await op('POST', '/calls', {}, {body: {to: 'sip:x@127.0.0.1', targets: []}, label: 'empty targets'}, 400);
  await op('POST', '/calls', {}, {body: {trunk: 'nope', to: 'sip:bob'}, label: 'unknown trunk'}, 404);
  await op('POST', '/calls', {}, {label: 'no body', ctype: 'application/json', body: ''}, 400);
  // trunks
  await op('GET', '/trunks', {}, {}, 200);
  await op('GET', '/trunks/{name}', {name: 'carrier'}, {}, 200);
  await op('GET', '/trunks/{name}', {name: 'nope'}, {}, 404);
  // sessions
  r = await op('GET', '/sessions', {}, {}, 200);
  if (JSON.parse(r.body).length !== 5) fail(`GET /sessions: expected 5 sessions: ${r.body}`);
  if (r.headers.link) fail(`GET /sessions: a next page after the only one: ${r.headers.link}`);
  // pages: two at a time, following the Link header, see the same five in the same order
  const all = JSON.parse(r.body).map((x) => x.id);
  let pageIds = [], q = '?limit=2', pages = 0;
  while (q) {
    const pr = await op('GET', '/sessions', {}, {query: q, label: `page ${++pages}`}, 200);
    pageIds = pageIds.concat(JSON.parse(pr.body).map((x) => x.id));
    const m = /^<\/sessions(\?[^>]*)>; rel="next"$/.exec(pr.headers.link || '');
    if (pr.headers.link && !m) fail(`GET /sessions: bad Link header: ${pr.headers.link}`);
    q = m ? m[1] : null;
    if (pages > 5) fail('GET /sessions: the pages do not end');
  }
  if (pageIds.join() !== all.join()) fail(`GET /sessions pages ${pageIds} != ${all}`);
  if (process.env.SCTL) { // sessionctl sessions follows the pages too
    const out = require('child_process').execFileSync(process.env.SCTL,
      ['--server', base.origin, '--token', token, 'sessions', '--page', '2'], {encoding: 'utf8'});
    const listed = out.split('\n').slice(1, -2).map((l) => l.split(/\s+/)[0]);
    if (listed.join() !== all.join() || !/\n5 session\(s\)\n$/.test(out)) fail(`sessionctl sessions --page 2:\n${out}`);
  }
  r = await op('GET', '/sessions', {}, {query: '?live=true&role=uas', label: 'filtered'}, 200);
  for (const x of JSON.parse(r.body)) if (x.role !== 'uas') fail(`GET /sessions?role=uas gave ${x.role}`);
  r = await op('GET', '/sessions', {}, {query: '?state=NoSuchState', label: 'no match'}, 200);
  if (JSON.parse(r.body).length !== 0) fail(`GET /sessions?state=NoSuchState: ${r.body}`);
  await op('GET', '/sessions', {}, {query: '?limit=0', label: 'bad limit'}, 400);
  await op('GET', '/sessions', {}, {query: '?role=x', label: 'bad role'}, 400);
  await op('GET', '/sessions', {}, {query: '?after=-1', label: 'bad cursor'}, 400);
  for (const id of [A, B, C, D, E]) await op('GET', '/sessions/{id}', {id}, {}, 200);
  await op('GET', '/sessions/{id}', {id: N}, {}, 404);
  await op('GET', '/sessions/{id}/history', {id: A}, {}, 200);
  await op('GET', '/sessions/{id}/history', {id: A}, {query: '?format=json'}, 200);
  r = await op('GET', '/sessions/{id}/history', {id: A}, {query: '?format=csv'}, 200);
  if (!r.body.startsWith('seq,')) fail(`history CSV: ${r.body.slice(0, 100)}`);
  await op('GET', '/sessions/{id}/history', {id: A}, {query: '?format=xml'}, 400);
  await op('GET', '/sessions/{id}/history', {id: N}, {}, 404);
  await op('GET', '/sessions/{id}/history', {id: N}, {query: '?format=csv'}, 404);

  // commands: an unknown session is 404 for each; bad bodies 400
  const commands = Object.keys(spec.paths).filter((p) => /^\/sessions\/\{id\}\/(?!history$)/.test(p));
  const validBody = {reject: {code: 486}, dtmf: {digits: '1'}, bridge: {with: B}, transfer: {target: 'sip:carol@127.0.0.1:5999'}, hold: {}, send: {event: 'Escalate'}};
  for (const t of commands) {
    const cmd = t.slice('/sessions/{id}/'.length);
    await op('POST', t, {id: N}, {body: validBody[cmd] || {}, label: 'unknown session'}, cmd === 'bridge' ? [400, 404] : 404);
    // (the commands without a body ignore it: they would run)
    if (cmd in validBody) await op('POST', t, {id: A}, {body: '{"x":', label: 'bad JSON'}, 400);
  }
  await op('POST', '/sessions/{id}/reject', {id: B}, {body: {code: 200}, label: 'code out of range'}, 400);
  await op('POST', '/sessions/{id}/reject', {id: B}, {body: {code: 'busy'}, label: 'code not a number'}, 400);
  await op('POST', '/sessions/{id}/reject', {id: A}, {body: {code: 486}, label: 'not ringing'}, 409);
  await op('POST', '/sessions/{id}/dtmf', {id: A}, {body: {digits: 'xyz'}}, 400);
  await op('POST', '/sessions/{id}/dtmf', {id: A}, {body: {}}, 400);
  await op('POST', '/sessions/{id}/bridge', {id: A}, {body: {}}, 400);
  await op('POST', '/sessions/{id}/bridge', {id: A}, {body: {with: A}, label: 'itself'}, 400);
  await op('POST', '/sessions/{id}/bridge', {id: A}, {body: {with: N}, label: 'unknown peer'}, 404);
  await op('POST', '/sessions/{id}/transfer', {id: A}, {body: {mode: 'sideways', target: 'sip:x@127.0.0.1'}}, 400);
  await op('POST', '/sessions/{id}/transfer', {id: A}, {body: {target: 'tel:123'}}, 400);
  await op('POST', '/sessions/{id}/transfer', {id: A}, {body: {}, label: 'blind without target'}, 400);
  await op('POST', '/sessions/{id}/transfer', {id: C}, {body: {target: 'sip:carol@127.0.0.1:5999'}, label: 'not answered'}, 409);
  await op('POST', '/sessions/{id}/transfer/cancel', {id: A}, {}, 409);
  await op('POST', '/sessions/{id}/reject', {id: E}, {body: {code: 486}}, 200);
  await waitState(D, 'Active');
  await op('POST', '/sessions/{id}/transfer', {id: D}, {body: {target: 'sip:carol@127.0.0.1:5999'}}, 200);
  await op('POST', '/sessions/{id}/hold', {id: C}, {}, 409);
  await op('POST', '/sessions/{id}/hold', {id: A}, {body: {moh: 'no-such-class'}, label: 'unknown class'}, 400);
  await op('POST', '/sessions/{id}/unbridge', {id: A}, {}, 409);
  // the call flows: B answered; A held, resumed, DTMF, bridged with B and split again
  await op('POST', '/sessions/{id}/accept', {id: B}, {}, 200);
  await op('POST', '/sessions/{id}/accept', {id: B}, {label: 'twice'}, 409);
  await waitState(B, 'Active');
  await op('POST', '/sessions/{id}/resume', {id: A}, {label: 'not held'}, 409);
  await op('POST', '/sessions/{id}/hold', {id: A}, {}, 200);
  await waitState(A, 'OnHold');
  await op('POST', '/sessions/{id}/resume', {id: A}, {}, 200);
  await waitState(A, 'Active');
  await op('POST', '/sessions/{id}/dtmf', {id: A}, {body: {digits: '12#'}}, 200);
  await op('POST', '/sessions/{id}/bridge', {id: A}, {body: {with: B}}, 200);
  await op('POST', '/sessions/{id}/bridge', {id: A}, {body: {with: C}, label: 'already bridged'}, 409);
  await op('POST', '/sessions/{id}/unbridge', {id: A}, {}, 200);
  // conference rooms: none with the default table
  r = await op('GET', '/conferences', {}, {}, 200);
  if (r.body.trim() !== '[]') fail(`GET /conferences: expected no room: ${r.body}`);
  await op('GET', '/conferences/{room}', {room: 'room1'}, {}, 404);
  await op('POST', '/sessions/{id}/conference/mute', {id: A}, {body: {mute: true}, label: 'in no room'}, 409);
  await op('POST', '/sessions/{id}/conference/mute', {id: A}, {body: {mute: 'yes'}, label: 'not a boolean'}, 400);
  await op('POST', '/sessions/{id}/conference/mute', {id: N}, {body: {mute: false}}, 404);

  // the table
  for (const t of ['/table', '/table.json', '/table.dot', '/table.mmd']) {
    r = await op('GET', t, {}, {}, 200);
    if (t === '/table' && !JSON.parse(r.body).versions) fail('GET /table lacks "versions"');
    await op('GET', t, {}, {query: `?session=${A}`}, 200);
    await op('GET', t, {}, {query: `?session=${N}`}, 404);
  }
  await op('GET', '/table/versions', {}, {}, 200);
  await op('POST', '/table/validate', {}, {body: defaultTable, ctype: 'application/yaml'}, 200);
  await op('POST', '/table/validate', {}, {body: 'name: x\n', ctype: 'text/yaml', label: 'no states'}, 422);
  await op('POST', '/table/validate', {}, {body: 'x: [', ctype: 'application/yaml', label: 'YAML error'}, 422);
  await op('POST', '/table/validate', {}, {label: 'no body'}, 400);
  await op('POST', '/table/reload', {}, {body: defaultTable, ctype: 'application/x-yaml'}, 200);
  await op('POST', '/table/reload', {}, {body: 'x: [', ctype: 'application/yaml', label: 'YAML error'}, 422);
  await op('POST', '/table/reload', {}, {label: 'no body, no --table'}, 400);

  // probes, metrics, events
  await op('GET', '/livez', {}, {}, 200);
  await op('GET', '/readyz', {}, {}, 200);
  r = await op('GET', '/healthz', {}, {}, 200);
  if (!JSON.parse(r.body).details) fail('GET /healthz with the token lacks details');
  r = await op('GET', '/healthz', {}, {token: false}, 200);
  if (JSON.parse(r.body).details) fail('GET /healthz without the token gives details');
  await op('POST', '/debug/health', {}, {body: {check: 'store', ok: false, reason: 'openapi test'}}, 200);
  await op('GET', '/readyz', {}, {}, 503);
  await op('GET', '/healthz', {}, {}, 503);
  await op('POST', '/debug/health', {}, {body: {check: 'store', ok: true, reason: 'back'}}, 200);
  await op('GET', '/readyz', {}, {}, 200);
  await op('POST', '/debug/health', {}, {body: {ok: true}, label: 'no check'}, 400);
  await op('POST', '/debug/health', {}, {body: {check: 'no-such-check', ok: true}, label: 'unknown check'}, 400);
  await op('POST', '/debug/block-loop', {}, {query: '?ms=5'}, 200);
  await op('POST', '/debug/block-loop', {}, {query: '?ms=99999'}, 400);
  await offSpec('POST', '/debug/nope', {body: '{}'}, 404, 'NotFound');
  r = await op('GET', '/metrics', {}, {}, 200);
  if (!/sessioncore_/.test(r.body)) fail('GET /metrics: no sessioncore_ metric');
  await op('GET', '/metrics', {}, {headers: {Accept: 'application/openmetrics-text; version=1.0.0'}}, 200);
  r = await op('GET', '/events', {}, {stream: true}, 200);
  if (!/^text\/event-stream/.test(r.headers['content-type'] || '')) fail(`GET /events: ${r.headers['content-type']}`);
  await op('GET', '/events', {}, {query: '?since=0&type=StateChanged&role=uac', stream: true}, 200);
  for (const q of ['?queue=0', '?role=boss', '?priority=urgent', '?overflow=explode', '?type=Nope', '?since=x']) await op('GET', '/events', {}, {query: q, label: 'bad filter'}, 400);
  await op('GET', '/events', {}, {headers: {'Last-Event-ID': 'garbage'}, label: 'bad Last-Event-ID'}, 400);
  r = await op('GET', '/cluster', {}, {}, 200); // --cluster on the sqlite store: this node alone
  const cl = JSON.parse(r.body);
  if (!cl.nodes || cl.nodes.length !== 1 || !cl.nodes[0].self) fail(`GET /cluster: ${r.body}`);
  r = await op('GET', '/events/cluster', {}, {stream: true}, 200); // the store's log (sqlite here)
  if (!/^text\/event-stream/.test(r.headers['content-type'] || '')) fail(`GET /events/cluster: ${r.headers['content-type']}`);
  await op('GET', '/events/cluster', {}, {query: '?after=0&state=Active&session=*&buffer=64', stream: true}, 200);
  await op('GET', '/events/cluster', {}, {query: '?after=x', label: 'bad after'}, 400);
  await op('GET', '/events/cluster', {}, {query: '?buffer=8', label: 'bad buffer'}, 400);
  await op('GET', '/events/cluster', {}, {headers: {'Last-Event-ID': '1-2'}, label: 'bad Last-Event-ID'}, 400);

  // registrar
  await op('GET', '/registrations', {}, {}, 200);
  await op('GET', '/users', {}, {}, 200);
  await op('POST', '/users', {}, {body: {user: 'carol', password: 'c4rol-pw'}}, 201);
  await op('POST', '/users', {}, {body: {user: 'carol', password: 'other-pw'}, label: 'replace'}, 200);
  await op('POST', '/users', {}, {body: {user: 'bob', password: 'x'}, label: 'a user of the file'}, 409);
  await op('POST', '/users', {}, {body: {user: 'no body', password: 'x'}, label: 'bad name'}, 400);
  await op('POST', '/users', {}, {body: {user: 'dave', ha1: 'abc'}, label: 'bad ha1'}, 400);
  await op('POST', '/users', {}, {body: '{"user":', label: 'bad JSON'}, 400);
  await op('POST', '/users/{user}/delete', {user: 'carol'}, {}, 200);
  await op('POST', '/users/{user}/delete', {user: 'carol'}, {label: 'again'}, 404);
  await op('POST', '/users/{user}/delete', {user: 'bob'}, {label: 'a user of the file'}, 409);

  // the inspector's files: their types, revalidation, an unknown one
  r = await op('GET', '/ui', {}, {}, 200);
  if (!/^default-src 'none'/.test(r.headers['content-security-policy'] || '')) fail(`GET /ui: CSP ${r.headers['content-security-policy']}`);
  await op('GET', '/ui', {}, {headers: {'If-None-Match': r.headers.etag}, label: 'revalidation'}, 304);
  for (const a of ['app.js', 'app.css', 'index.html']) await op('GET', '/ui/{asset}', {asset: a}, {}, 200);
  await op('GET', '/ui/{asset}', {asset: 'no-such-file.js'}, {}, 404);

  // unknown paths
  for (const p of ['/nope', '/sessions/x/y/z', '/table.png', '/calls/x', `/sessions/${A}/bogus`])
    await offSpec('GET', p, {}, 404, 'NotFound');
  await offSpec('POST', `/sessions/${A}/bogus`, {body: '{}'}, 404, 'NotFound');

  // the end of the calls (the SIPp scenarios wait for these BYEs)
  await op('POST', '/sessions/{id}/hangup', {id: B}, {}, 200);
  await op('POST', '/sessions/{id}/hangup', {id: A}, {}, 200);
  await op('POST', '/sessions/{id}/hangup', {id: C}, {}, [200, 409]); // 409 once its INVITE timed out
  await waitState(A, 'Terminated');
  for (const [name, id] of [['B', B], ['D', D], ['E', E]]) {
    let last = '';
    await waitFor(
      `session ${name} (${id}) to end`,
      async () => {
        last = (await request('GET', `/sessions/${id}`)).body;
        return JSON.parse(last).outcome;
      },
      20000
    ).catch((e) => {
      throw new Error(`${e.message}: ${last.slice(0, 400)}`);
    });
  }
  await op('GET', '/sessions/{id}/history', {id: D}, {}, 200);
  // the operator's kill: E (ended) is removed; an unknown or removed one is 404
  await op('DELETE', '/sessions/{id}', {id: N}, {}, 404);
  await op('DELETE', '/sessions/{id}', {id: E}, {}, 200);
  await op('GET', '/sessions/{id}', {id: E}, {label: 'killed'}, 404);
  await op('DELETE', '/sessions/{id}', {id: E}, {label: 'again'}, 404);
  await op('POST', '/sessions/{id}/hangup', {id: A}, {label: 'ended'}, 409);
  await op('GET', '/sessions/{id}', {id: A}, {}, 200);

  // a stalled loop (sessiond runs with --http-timeout-ms 1500): the request that blocks it and
  // one queued behind it get 503 (Unavailable, with Retry-After), /livez 503 once the loop's
  // heartbeat is over 2 s old
  const blocked = op('POST', '/debug/block-loop', {}, {query: '?ms=3000', label: 'longer than the HTTP timeout'}, 503);
  await sleep(200);
  const queued = op('GET', '/sessions', {}, {label: 'loop blocked'}, 503);
  await sleep(2100);
  await op('GET', '/livez', {}, {label: 'loop blocked'}, 503);
  await Promise.all([blocked, queued]);
  await waitFor('/livez 200 again', async () => (await request('GET', '/livez')).status === 200);

  // POST /send: the default table declares no event of its own (sip.ops_send_drain sends one)
  await op('POST', '/sessions/{id}/send', {id: A}, {body: {event: 'DialogBYE'}, label: 'built-in'}, 400);
  await op('POST', '/sessions/{id}/send', {id: A}, {body: {event: 'Nope'}, label: 'undeclared'}, 400);
  await op('POST', '/sessions/{id}/send', {id: A}, {body: {code: 1}, label: 'no event'}, 400);
  await op('POST', '/sessions/{id}/events/{name}', {id: A, name: 'DialogBYE'}, {body: {}, label: 'built-in'}, 422);
  await op('POST', '/sessions/{id}/events/{name}', {id: A, name: 'Nope'}, {body: {variables: {a: 'b'}}, label: 'undeclared'}, 422);
  await op('POST', '/sessions/{id}/events/{name}', {id: N, name: 'Nope'}, {body: {}, label: 'no session'}, 404);
  await op('POST', '/sessions/{id}/events/{name}', {id: A, name: 'Nope'}, {body: {variables: {a: 1}}, label: 'bad variables'}, 400);
  // the very last: the drain (no call is up: sessiond exits)
  await op('POST', '/drain', {}, {body: {}}, 202);

  // coverage: every operation of the spec was called and answered 2xx (but those whose success
  // needs an attended transfer in progress, or a table with events of its own), every path of
  // the spec and no other
  for (const {path: t, method} of ops) {
    const k = `${method} ${t}`;
    if (!called.has(k)) fail(`${k} of the spec was never called`);
    else if (![...seen.get(k)].some((s) => s >= 200 && s < 300) && !NO_2XX.has(k))
      fail(`${k} never answered 2xx: ${[...seen.get(k)].join(' ')}`);
  }
  const specPaths = Object.keys(spec.paths).sort().join(' ');
  const testPaths = [...calledPaths].sort().join(' ');
  if (specPaths !== testPaths) fail(`paths called != spec paths:\n  called ${testPaths}\n  spec   ${specPaths}`);
  const declared = new Map(ops.map(({path: t, method, op: o}) => [`${method} ${t}`, Object.keys(o.responses)]));
  let nseen = 0;
  for (const [k, s] of seen) nseen += s.size;
  let ndecl = 0;
  for (const v of declared.values()) ndecl += v.length;
  console.log(`${nchecks} requests, ${called.size} operations, ${nseen} of ${ndecl} declared (operation, status) pairs answered`);
}

main()
  .catch((e) => fail(e.stack || String(e)))
  .finally(() => {
    if (failures) {
      console.log(`${failures} failure(s)`);
      process.exit(1);
    }
    console.log('ok');
  });
