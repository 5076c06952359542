// view_reload: the Reload view: a table pasted or loaded from a file is checked with POST
// /table/validate (errors listed at their line and column, a click selects the line), its
// differences from the running table shown (states, rows, the migrate map); Apply (POST
// /table/reload) only for the text that was validated.
import {api, el} from './api.js';

export function reloadView(store) {
  const text = document.getElementById('r-text');
  const file = document.getElementById('r-file');
  const errors = document.getElementById('r-errors');
  const diffBox = document.getElementById('r-diff');
  const status = document.getElementById('r-status');
  const applyBtn = document.getElementById('r-apply');
  let validated = null; // the text last found valid

  function goto(line, col) {
    const lines = text.value.split('\n');
    let pos = 0;
    for (let i = 0; i < Math.min(line - 1, lines.length); i++) pos += lines[i].length + 1;
    const len = (lines[line - 1] || '').length;
    text.focus();
    text.setSelectionRange(pos + Math.max(0, Math.min(col - 1, len)), pos + len);
    const lh = text.scrollHeight / Math.max(1, lines.length);
    text.scrollTop = Math.max(0, (line - 5) * lh);
  }
  function issues(list, cls) {
    return (list || []).map((e) => el('li', {class: cls, 'data-line': e.line, 'data-column': e.column},
      el('button', {type: 'button', text: `line ${e.line}, column ${e.column}`, onclick: () => goto(e.line, e.column)}), `: ${e.message}`));
  }
  const T = (t) => `${t.role} ${t.from} —${t.event}${t.guards && t.guards.length ? ' [' + t.guards.join(', ') + ']' : ''}→ ${t.to || '(stays)'}`;
  function diff(d, changes) {
    if (!d) return el('p', {text: changes ? JSON.stringify(changes) : 'No running table to compare with.'});
    if (d.identical) return el('p', {text: 'Same behaviour as the running table (nothing would change).'});
    const part = (title, items) => (items.length ? [el('h4', {text: `${title} (${items.length})`}), el('ul', {}, items.map((x) => el('li.mono', {text: x})))] : []);
    const ch = (c) => Object.entries(c.changes).map(([k, v]) => `${k}: ${JSON.stringify(v.old)} → ${JSON.stringify(v.new)}`).join('; ');
    const out = [el('p', {text: `${d.differences} difference${d.differences === 1 ? '' : 's'}.`})];
    if (d.initial) out.push(el('p', {text: `initial state: ${d.initial.old} → ${d.initial.new}`}));
    out.push(...part('States added', d.states.added.map((s) => `${s.state} (line ${s.line})`)),
      ...part('States removed', d.states.removed.map((s) => s.state)),
      ...part('States changed', d.states.changed.map((c) => `${c.state} (line ${c.new_line}): ${ch(c)}`)),
      ...part('Rows added', d.transitions.added.map((t) => `${T(t)} (line ${t.line})`)),
      ...part('Rows removed', d.transitions.removed.map(T)),
      ...part('Rows changed', d.transitions.changed.map((c) => `${T(c)} (line ${c.new_line}): ${ch(c)}`)));
    if (d.migrate) out.push(...part('Migrate map (new)', d.migrate.new.map((m) => `${m.from} → ${m.to}${m.known ? '' : ' (no such state in the running table)'}`)));
    return el('div', {}, out);
  }
  async function validate() {
    status.textContent = 'validating…';
    status.className = '';
    applyBtn.disabled = true;
    const body = text.value;
    const r = await api('POST', '/table/validate', body, 'application/yaml');
    const j = r.json || {};
    errors.replaceChildren(...issues(j.errors, 'bad'), ...issues(j.warnings, null));
    if (!errors.childElementCount) errors.replaceChildren(el('li', {text: 'None.'}));
    if (r.status === 200 && j.valid) {
      validated = body;
      applyBtn.disabled = false;
      status.textContent = `valid: ${j.name || ''} hash ${j.hash}`;
      diffBox.replaceChildren(diff(j.diff, j.changes));
    } else {
      validated = null;
      status.textContent = r.status === 422 ? `invalid: ${(j.errors || []).length} error(s)` : `HTTP ${r.status}: ${j.error || ''}`;
      status.className = 'bad';
      diffBox.replaceChildren(el('p', {text: 'Fix the errors first.'}));
    }
  }
  async function apply() {
    if (validated === null || text.value !== validated) { applyBtn.disabled = true; return; }
    status.textContent = 'applying…';
    const r = await api('POST', '/table/reload', validated, 'application/yaml');
    const j = r.json || {};
    if (r.ok) {
      status.textContent = `${j.result}: version ${j.new && j.new.version}; ${j.migrated || 0} session(s) migrated`;
      store.reloadTable();
    } else {
      status.textContent = `refused (${r.status})`;
      status.className = 'bad';
      errors.replaceChildren(...issues(j.errors, 'bad'));
    }
    applyBtn.disabled = true;
  }
  text.addEventListener('input', () => { if (text.value !== validated) applyBtn.disabled = true; });
  file.addEventListener('change', async () => {
    if (!file.files.length) return;
    text.value = await file.files[0].text();
    validate();
  });
  document.getElementById('r-validate').addEventListener('click', validate);
  applyBtn.addEventListener('click', apply);
  return {show() {}};
}
