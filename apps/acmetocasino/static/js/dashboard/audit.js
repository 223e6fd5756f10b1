// 16. Audit log: every staff action, filtered by action, actor, target and time.

import { $, h, time } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { COMPLIANCE, filterValues, dayStart, applyParam } from './common.js';

function change(a) {
  const show = (v) => (v == null ? '∅' : JSON.stringify(v));
  return `${show(a.before)} → ${show(a.after)}`;
}

export default {
  id: 'audit',
  title: 'Audit log',
  roles: COMPLIANCE,
  template: 'tpl-audit',
  init(ctx, root) {
    const form = $('[data-role=filters]', root);
    this.table = new DataTable($('[data-role=table]', root), {
      empty: 'No entry matches these filters.',
      columns: [
        { label: 'When', cell: (a) => time(a.at) },
        { label: 'Action', key: 'action' },
        { label: 'Actor', cell: (a) => h('span', { class: 'id', title: a.actor }, a.actor.slice(0, 8)) },
        { label: 'Target', cell: (a) => (a.target.startsWith('player:') ? h('a', { href: `#player/${a.target.slice(7)}` }, a.target.slice(0, 15)) : a.target) },
        { label: 'Change', wrap: true, cell: change },
      ],
      load: async ({ limit, offset }) => {
        const f = filterValues(form);
        return { items: await ctx.api.get('/audit-log', { ...f, from: dayStart(f.from), to: dayStart(f.to, true), limit, offset }) };
      },
    });
    form.addEventListener('submit', (e) => { e.preventDefault(); this.table.reload({ reset: true }); });
  },
  show(ctx, root, param) {
    applyParam($('[data-role=filters]', root), 'target', param);
    return this.table.reload({ reset: !!param });
  },
};
