// rows: a table row (one transition of GET /table) as a list item: event, target, guards,
// actions, conditions set, events published and its line in the table file.
import {el} from './api.js';

const params = (p) => {
  const e = Object.entries(p || {});
  return e.length ? '(' + e.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ') + ')' : '';
};

export function rowItem(t) {
  return el('li', {'data-row': t.index},
    el('div', {},
      el('strong', {text: t.event}), ' ',
      t.role !== 'any' ? el('span.tag', {text: t.role}) : null,
      t.wildcard ? el('span.tag', {text: 'from *'}) : null,
      ` ${t.from} → ${t.to || '(stays)'}`,
      t.failure ? el('span.tag.fail', {text: 'failure'}) : null),
    t.guards.length ? el('div', {}, 'guards: ', t.guards.map((g) => el('span.tag', {text: (g.negate ? '!' : '') + g.name + params(g.params)}))) : null,
    t.actions.length ? el('div', {}, 'actions: ', t.actions.map((a) => el('span.tag', {text: a.name + params(a.params)}))) : null,
    Object.keys(t.set || {}).length ? el('div', {}, 'sets: ', Object.entries(t.set).map(([k, v]) => el('span.tag', {text: `${k}=${v}`}))) : null,
    (t.publish || []).length ? el('div', {}, 'publishes: ', t.publish.map((p) => el('span.tag', {text: p.name}))) : null,
    t.description ? el('div', {}, el('em', {text: t.description})) : null,
    el('div.mono', {text: `table line ${t.line}:${t.column}`}));
}
