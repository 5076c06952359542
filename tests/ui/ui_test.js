// Drives the inspector (/ui) in headless Chromium (playwright-core, the system's chromium)
// against a live sessiond with SIPp calls up; used by tests/sip/test_ui.sh. Checks: the token
// is asked for and used; the graph has every state of the running table; a session shows its
// path and a timeline equal to GET /sessions/{id}/history, and only the commands its state
// accepts; Hang up ends the call (the shell checks SIPp saw the BYE); the events view pauses and
// resumes with no gap, and after a restart shows the StreamReset and the new run from seq 1;
// a broken table shows its error at its line and column, a changed one its diff, and applies.
// env: SD_URL, SD_TOKEN, SRC, OUT (files for the shell, screenshots), CHROMIUM.
'use strict';
const fs = require('fs');
const path = require('path');
const {chromium} = require('playwright-core');

const URL0 = process.env.SD_URL;
const TOKEN = process.env.SD_TOKEN;
const OUT = process.env.OUT;
const SRC = process.env.SRC;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function check(cond, msg) {
  if (!cond) throw new Error(msg);
}
async function get(p) {
  const r = await fetch(URL0 + p, {headers: {Authorization: 'Bearer ' + TOKEN}});
  return {status: r.status, json: r.status === 200 ? await r.json() : null};
}
async function post(p, body) {
  const r = await fetch(URL0 + p, {method: 'POST', headers: {Authorization: 'Bearer ' + TOKEN, 'Content-Type': 'application/json'}, body: JSON.stringify(body || {})});
  return r.status;
}
async function waitFor(what, fn, ms = 10000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out waiting for ' + what);
    await sleep(50);
  }
}
const step = (s) => console.log('- ' + s);

// The events view's rows, oldest first: [{id, epoch, seq, type, session}]
async function eventRows(page) {
  const rows = await page.$$eval('#e-rows tr', (trs) => trs.map((tr) => [tr.dataset.id, tr.dataset.type, tr.children[3].textContent]));
  return rows.reverse().map(([id, type, session]) => ({id, type, session, epoch: id.split('-')[0], seq: Number(id.split('-')[1] || 0)}));
}
// Within each run, sequence numbers follow each other (a gap would skip one, a repeat go back).
function noGaps(rows, from) {
  for (let i = from + 1; i < rows.length; i++) {
    const a = rows[i - 1], b = rows[i];
    if (b.type === 'StreamReset') continue;
    if (a.type === 'StreamReset') check(b.seq === 1 && b.epoch === a.epoch, `after the StreamReset: ${b.id}, want ${a.epoch}-1`);
    else check(b.epoch === a.epoch && b.seq === a.seq + 1, `events ${a.id} then ${b.id}: a gap or a repeat`);
  }
}

(async () => {
  const browser = await chromium.launch({executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu']});
  const page = await browser.newPage({viewport: {width: 1366, height: 768}});
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // (the 401 before the token and the 422 of the broken table are answers the page expects)
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && errors.push(m.text()));
  const shot = (name) => page.screenshot({path: path.join(OUT, name + '.png')});

  // The token: the page gets a 401 and asks; the events view starts streaming at once
  await page.goto(URL0 + '/ui/#events');
  await page.waitForSelector('#token-dialog[open]', {timeout: 10000});
  await page.fill('#token-input', TOKEN);
  await page.click('#token-ok');
  await page.waitForSelector('body[data-ready="1"]', {timeout: 10000});
  await waitFor('the events view live', async () => (await page.getAttribute('#e-status', 'data-state')) === 'open');
  step('token asked, the page is live');

  // Table view: every state of the running table, counts, a state's rows
  const table = (await get('/table')).json;
  await page.click('#nav-table');
  await page.waitForSelector('#table-graph svg g.node');
  const drawn = await page.$$eval('#table-graph g.node', (gs) => gs.map((g) => g.dataset.state));
  const want = table.states.map((s) => s.name);
  check(drawn.length === want.length && want.every((s) => drawn.includes(s)), `graph states ${drawn} != table ${want}`);
  const sessions = (await get('/sessions')).json;
  check(sessions.length === 3, `expected 3 live sessions, got ${sessions.length}`);
  await waitFor('Active coloured with its count', async () => /Active · 3/.test(await page.textContent('#table-graph g.node[data-state="Active"]')));
  await page.focus('#table-graph g.node[data-state="Active"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#table-detail li[data-row]');
  const nrows = await page.$$eval('#table-detail li[data-row]', (l) => l.length);
  const wantRows = table.transitions.filter((t) => t.from === 'Active').length;
  check(nrows === wantRows, `state Active shows ${nrows} rows, the table has ${wantRows}`);
  check(/table line \d+:\d+/.test(await page.textContent('#table-detail')), 'no table line in the rows');
  await shot('ui-table');
  step(`table: ${drawn.length} states drawn, Active: 3 live, ${nrows} rows`);

  // Sessions view: the list, one session's path, timeline and commands
  await page.click('#nav-sessions');
  await waitFor('3 rows', async () => (await page.$$('.vrow:not([hidden])')).length === 3);
  const id = sessions[0].id;
  await page.click(`.vrow[data-id="${id}"]`);
  await page.waitForSelector('#s-detail .timeline li');
  await page.waitForSelector('#s-graph svg');
  const hist = (await get(`/sessions/${id}/history`)).json;
  const tl = await page.$$eval('#s-detail .timeline li', (l) => l.map((x) => [Number(x.dataset.seq), x.dataset.event]));
  check(JSON.stringify(tl) === JSON.stringify(hist.map((h) => [h.seq, h.event])), `timeline ${JSON.stringify(tl)} != history ${JSON.stringify(hist.map((h) => [h.seq, h.event]))}`);
  const visited = new Set(hist.flatMap((h) => [h.from, h.to]).filter(Boolean));
  const onPath = await page.$$eval('#s-graph g.node.visited', (l) => l.map((g) => g.dataset.state));
  check(onPath.length === visited.size && onPath.every((s) => visited.has(s)), `path ${onPath} != history states ${[...visited]}`);
  const pathEdges = await page.$$eval('#s-graph g.edge.onpath', (l) => l.map((g) => g.dataset.edge));
  const wantEdges = new Set(hist.filter((h) => h.outcome === 'taken' && h.to && h.to !== h.from).map((h) => h.from + '\u2192' + h.to));
  check(pathEdges.length === wantEdges.size && pathEdges.every((e) => wantEdges.has(e)), `path edges ${pathEdges} != ${[...wantEdges]}`);
  const sess = (await get(`/sessions/${id}`)).json;
  const cmds = await page.$$eval('#s-detail [data-cmd]', (l) => l.map((b) => b.dataset.cmd));
  const byEvent = {AcceptCall: 'accept', RejectCall: 'reject', HangupCall: 'hangup', HoldCall: 'hold', ResumeCall: 'resume', SendDTMF: 'dtmf', BlindTransfer: 'transfer'};
  const wantCmds = Object.entries(byEvent).filter(([e]) => sess.possible_events.includes(e)).map(([, c]) => c);
  check(JSON.stringify(cmds) === JSON.stringify(wantCmds), `buttons ${cmds} != the accepted commands ${wantCmds}`);
  check(!cmds.includes('resume') && !cmds.includes('accept'), 'Resume or Answer offered in Active');
  await shot('ui-sessions');
  step(`session ${id}: timeline of ${tl.length} records = history, path of ${onPath.length} states, buttons ${cmds.join(' ')}`);

  // Hang up from the page
  await page.click('#s-detail button[data-cmd="hangup"]');
  await waitFor('the session terminated', async () => {
    const s = await get(`/sessions/${id}`);
    return s.status === 404 || ['Terminating', 'Terminated'].includes(s.json.state);
  });
  await waitFor('the page shows Terminated', async () => (await page.textContent('#s-detail')).includes('Terminated'));
  fs.writeFileSync(path.join(OUT, 'hungup-call-id'), sess.call_id);
  step(`hung up ${id} (Call-ID ${sess.call_id})`);

  // Events view: pause, a call ends meanwhile, resume: the missed events come, none twice
  await page.click('#nav-events');
  await page.click('#e-pause');
  await waitFor('paused', async () => (await page.getAttribute('#e-status', 'data-state')) === 'paused');
  const before = (await eventRows(page)).length;
  const other = sessions[1].id;
  check((await post(`/sessions/${other}/hangup`)) === 200, 'POST hangup');
  await waitFor('the other call ended', async () => {
    const s = await get(`/sessions/${other}`);
    return s.status === 404 || s.json.state === 'Terminated';
  });
  await sleep(200);
  check((await eventRows(page)).length === before, 'events shown while paused');
  await page.click('#e-pause');
  await waitFor('the missed events after resuming', async () => (await eventRows(page)).some((r) => r.session === other && r.type === 'SessionEnded'));
  let rows = await eventRows(page);
  check(rows.length > 0 && rows.some((r) => r.session === id && r.type === 'SessionEnded'), 'the hang-up is not in the events');
  noGaps(rows, 0);
  step(`events: ${rows.length} so far, paused and resumed without a gap`);

  // A restart: the shell restarts sessiond and makes a call; the view resumes from its last id
  const lastOld = rows[rows.length - 1];
  fs.writeFileSync(path.join(OUT, 'restart.req'), lastOld.id);
  await waitFor('the restart', async () => fs.existsSync(path.join(OUT, 'restart.done')), 30000);
  const newSession = fs.readFileSync(path.join(OUT, 'restart.done'), 'utf8').trim();
  await waitFor('the new run in the events view', async () => {
    const r = await eventRows(page);
    return r.some((x) => x.type === 'SessionEnded' && x.session === newSession);
  }, 15000);
  rows = await eventRows(page);
  const reset = rows.findIndex((r) => r.type === 'StreamReset');
  check(reset > 0, 'no StreamReset after the restart');
  check(rows[reset + 1].seq === 1 && rows[reset + 1].type === 'SessionCreated', `the new run starts at ${rows[reset + 1].id}`);
  check(rows[reset + 1].epoch !== lastOld.epoch, 'same epoch after a restart');
  noGaps(rows, 0);
  await page.fill('#e-type', 'StateChanged,StreamReset,SessionCreated,SessionEnded');
  await page.click('#e-form button[type="submit"]');
  await shot('ui-events');
  step(`restart: StreamReset, then ${rows.length - reset - 1} events of the new run from seq 1, no gap`);

  // Reload view: a broken table shows its error at its line; a changed one its diff; apply
  const yaml = fs.readFileSync(path.join(SRC, 'tables/default.yaml'), 'utf8').split('\n');
  const at = yaml.findIndex((l) => /^\s+to: Ringing\s*$/.test(l));
  const col = yaml[at].indexOf('Ringing') + 1;
  const broken = yaml.slice();
  broken[at] = broken[at].replace('Ringing', 'NoSuchState');
  await page.click('#nav-reload');
  await page.fill('#r-text', broken.join('\n'));
  await page.click('#r-validate');
  await page.waitForSelector('#r-errors li[data-line]');
  const err = await page.$eval('#r-errors li[data-line]', (li) => [Number(li.dataset.line), Number(li.dataset.column), li.textContent]);
  check(err[0] === at + 1 && err[1] === col && /line \d+, column \d+/.test(err[2]) && /NoSuchState/.test(err[2]),
    `error shown ${JSON.stringify(err)}, want line ${at + 1} column ${col}`);
  check(await page.isDisabled('#r-apply'), 'Apply enabled for an invalid table');
  await page.click('#r-errors li[data-line] button');
  const sel = await page.$eval('#r-text', (t) => t.value.slice(t.selectionStart, t.selectionEnd));
  check(sel.includes('NoSuchState'), `the error's link selects "${sel}"`);
  await shot('ui-reload-error');
  const changed = yaml.join('\n').replace('after_ms: 30000', 'after_ms: 31000');
  await page.fill('#r-text', changed);
  await page.click('#r-validate');
  await waitFor('valid', async () => /valid:/.test(await page.textContent('#r-status')));
  check(/States changed \(1\)/.test(await page.textContent('#r-diff')), `diff: ${await page.textContent('#r-diff')}`);
  await shot('ui-reload');
  await page.click('#r-apply');
  await waitFor('applied', async () => /applied/.test(await page.textContent('#r-status')));
  const t2 = (await get('/table')).json;
  check(t2.hash !== table.hash && t2.states.find((s) => s.name === 'Initiating').timer_ms === 31000, 'the table was not applied');
  step(`reload: error at line ${at + 1}:${col}, diff shown, applied (hash ${t2.hash})`);

  // 10,000 sessions (GET /sessions answered by the test): the list stays virtual, the filter works
  const big = await browser.newPage({viewport: {width: 1366, height: 768}});
  big.on('pageerror', (e) => errors.push(e.message));
  await big.addInitScript((t) => sessionStorage.setItem('sessiond-token', t), TOKEN);
  const fake = Array.from({length: 10000}, (_, i) => ({id: 'f' + String(i).padStart(15, '0'), role: i % 2 ? 'uac' : 'uas',
    state: i % 3 ? 'Active' : 'Ringing', call_id: `c${i}@test`, remote_uri: `sip:u${i}@127.0.0.1`,
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString(), outcome: null}));
  // served as sessiond serves them: pages of at most 1000 with a Link header to the next
  let fakePages = 0;
  await big.route(/\/sessions(\?.*)?$/, (route) => {
    const q = new URL(route.request().url()).searchParams;
    const after = Number(q.get('after') || 0), limit = Math.min(Number(q.get('limit') || 100), 1000);
    const next = after + limit < fake.length ? {Link: `</sessions?limit=${limit}&after=${after + limit}>; rel="next"`} : {};
    fakePages++;
    route.fulfill({status: 200, contentType: 'application/json', headers: next, body: JSON.stringify(fake.slice(after, after + limit))});
  });
  const t0 = Date.now();
  await big.goto(URL0 + '/ui/#sessions');
  await big.waitForSelector('body[data-ready="1"]');
  await waitFor('10,000 listed', async () => /^10000 of 10000/.test(await big.textContent('#s-count')));
  const ms = Date.now() - t0;
  const inDom = await big.$$eval('#s-list .vrow', (l) => l.length);
  check(inDom < 80, `${inDom} rows in the page for 10,000 sessions: not virtualised`);
  check(fakePages >= 10, `the list read ${fakePages} page(s) of GET /sessions, not all ten`);
  await big.$eval('#s-list', (l) => { l.scrollTop = l.scrollHeight; });
  await waitFor('the oldest at the bottom', async () => (await big.$$eval('#s-list .vrow:not([hidden])', (l) => l.map((r) => r.dataset.id))).includes(fake[0].id));
  await big.fill('#f-text', 'c9999@');
  await waitFor('the filter', async () => /^1 of 10000/.test(await big.textContent('#s-count')));
  await big.close();
  step(`10,000 sessions: listed in ${ms} ms with ${inDom} rows in the page; scrolled to the end; filtered`);

  check(!errors.length, 'errors in the page: ' + errors.join(' | '));
  await browser.close();
  console.log('ok');
})().catch((e) => {
  console.log('FAIL ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
