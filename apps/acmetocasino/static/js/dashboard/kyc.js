// 12. KYC queue: pending submissions, approved or rejected with a reason.

import { $, h, time, tag, toneOf } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { confirmDialog } from '../lib/dialog.js';
import { COMPLIANCE, playerLink, applyParam } from './common.js';

async function decide(ctx, table, k, approve) {
  const res = await confirmDialog({
    title: `${approve ? 'Approve' : 'Reject'} ${k.full_name}'s documents?`,
    message: `${k.document_type} ${k.document_number} issued in ${k.issuing_country}, valid until ${k.expires_on}.`,
    confirmLabel: approve ? 'Approve' : 'Reject',
    danger: !approve,
    reason: { label: approve ? 'Note (optional)' : 'Reason for the rejection', required: !approve },
  });
  if (!res) return;
  try {
    await ctx.api.post(`/compliance/kyc/${k.player_id}/verify`, { decision: approve ? 'approve' : 'reject', reason: res.reason || undefined });
    ctx.toast(`KYC ${approve ? 'approved' : 'rejected'} for ${k.full_name}.`);
    table.reload();
  } catch (e) {
    ctx.toast(e.plain, 'error');
  }
}

export default {
  id: 'kyc',
  title: 'KYC queue',
  roles: COMPLIANCE,
  template: 'tpl-kyc',
  init(ctx, root) {
    const form = $('[data-role=filters]', root);
    this.table = new DataTable($('[data-role=table]', root), {
      sort: 'submitted_at',
      empty: 'No submission with this status.',
      columns: [
        { label: 'Submitted', sort: 'submitted_at', cell: (k) => time(k.submitted_at) },
        { label: 'Player', cell: (k) => playerLink(k.player_id) },
        { label: 'Full name', key: 'full_name' },
        { label: 'Document', cell: (k) => `${k.document_type} ${k.document_number}` },
        { label: 'Issued in', key: 'issuing_country' },
        { label: 'Expires', key: 'expires_on' },
        { label: 'Address', key: 'address', wrap: true },
        { label: 'Status', cell: (k) => [tag(k.status, toneOf(k.status)), k.reason ? ` ${k.reason}` : ''] },
        {
          label: 'Decision',
          cell: (k) => (k.status !== 'pending' ? (k.decided_at ? time(k.decided_at) : '—') : h('span', { class: 'actions' },
            h('button', { type: 'button', class: 'btn btn-primary btn-small', 'aria-label': `Approve ${k.full_name}`, onclick: () => decide(ctx, this.table, k, true) }, 'Approve…'),
            h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Reject ${k.full_name}`, onclick: () => decide(ctx, this.table, k, false) }, 'Reject…'))),
        },
      ],
      load: async (page) => ({ items: await ctx.api.get('/compliance/kyc', { status: form.status.value, ...page }) }),
    });
    form.addEventListener('submit', (e) => { e.preventDefault(); this.table.reload({ reset: true }); });
    form.status.addEventListener('change', () => this.table.reload({ reset: true }));
  },
  show(ctx, root, param) {
    applyParam($('[data-role=filters]', root), 'status', param);
    return this.table.reload();
  },
};
