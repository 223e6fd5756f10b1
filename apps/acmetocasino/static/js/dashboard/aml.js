// 13. AML alerts: by risk level and status; reviewed (dismissed, escalated, SAR filed)
// with a note.

import { $, h, time, tag, toneOf } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { confirmDialog } from '../lib/dialog.js';
import { COMPLIANCE, filterValues, playerLink, applyParam } from './common.js';

async function review(ctx, table, a) {
  const res = await confirmDialog({
    title: `Review the ${a.rule} alert`,
    message: `Risk ${a.risk_level} (${a.risk_score}), raised ${time(a.created_at)}. ${a.risk_level === 'critical' ? 'While it is open, the player cannot withdraw.' : ''}`,
    confirmLabel: 'Record review',
    fields: [{ name: 'outcome', label: 'Outcome', type: 'select', options: [['dismissed', 'Dismiss'], ['escalated', 'Escalate'], ['sar_filed', 'SAR filed']], value: 'dismissed' }],
    reason: { label: 'Note', max: 2000 },
  });
  if (!res) return;
  try {
    await ctx.api.post(`/compliance/aml/alerts/${a.id}/review`, { outcome: res.values.outcome, note: res.reason });
    ctx.toast('Review recorded.');
    table.reload();
  } catch (e) {
    ctx.toast(e.plain, 'error');
  }
}

export default {
  id: 'aml',
  title: 'AML alerts',
  roles: COMPLIANCE,
  template: 'tpl-aml',
  init(ctx, root) {
    const form = $('[data-role=filters]', root);
    this.table = new DataTable($('[data-role=table]', root), {
      sort: '-created_at',
      empty: 'No alert matches these filters.',
      columns: [
        { label: 'Raised', sort: 'created_at', cell: (a) => time(a.created_at) },
        { label: 'Player', cell: (a) => playerLink(a.player_id) },
        { label: 'Rule', key: 'rule' },
        { label: 'Risk', sort: 'risk_score', num: true, cell: (a) => tag(`${a.risk_level} · ${a.risk_score}`, toneOf(a.risk_level)) },
        { label: 'Details', wrap: true, cell: (a) => JSON.stringify(a.details) },
        { label: 'Status', cell: (a) => [tag(a.status, toneOf(a.status)), a.note ? ` ${a.note}` : ''] },
        {
          label: 'Review',
          cell: (a) => (a.status === 'dismissed' || a.status === 'sar_filed' ? (a.reviewed_at ? time(a.reviewed_at) : '—')
            : h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Review the ${a.rule} alert`, onclick: () => review(ctx, this.table, a) }, 'Review…')),
        },
      ],
      load: async (page) => ({ items: await ctx.api.get('/compliance/aml/alerts', { ...filterValues(form), ...page }) }),
    });
    form.addEventListener('submit', (e) => { e.preventDefault(); this.table.reload({ reset: true }); });
  },
  show(ctx, root, param) {
    applyParam($('[data-role=filters]', root), 'status', param);
    return this.table.reload();
  },
};
