// 6. Payments and manual postings: deposits and withdrawals, money moved by staff with
// a reason (confirmed first), and the queue of postings that need a second admin.

import { $, $$, h, amount, money, time, tag, toneOf, toMinor, say, showFieldErrors, formValues } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { idempotencyKey } from '../lib/api.js';
import { confirmDialog } from '../lib/dialog.js';
import { OPERATIONS, playerLink } from './common.js';
import { eventColumns } from './wallet-events.js';

async function post(ctx, root, form) {
  const out = $('[data-role=post-result]', root);
  out.hidden = true;
  showFieldErrors(form, null);
  if (!form.reportValidity()) return;
  const v = formValues(form);
  let player;
  try {
    player = await ctx.api.get(`/pam/players/${encodeURIComponent(v.player_id)}`);
  } catch (e) {
    say(out, e.plain, 'error');
    out.hidden = false;
    return;
  }
  const minor = toMinor(v.amount, player.currency);
  if (!minor) {
    say(out, `The amount must be a positive number with at most the decimals of ${player.currency}.`, 'error');
    out.hidden = false;
    return;
  }
  const ok = await confirmDialog({
    title: `Post ${v.type} of ${money(minor, player.currency)}?`,
    message: `To ${player.username}'s wallet, with the reason “${v.reason}”. Large postings wait for a second admin.`,
    confirmLabel: 'Post',
  });
  if (!ok) return;
  try {
    const body = { type: v.type, amount: minor, idempotency_key: idempotencyKey('staff'), reason: v.reason, reference: v.reference };
    const r = await ctx.api.post(`/wallet/${player.id}/transaction`, body);
    if (r._status === 202) {
      say(out, `Queued for approval by a second admin (posting ${r.id.slice(0, 8)}): no money has moved yet.`, 'warn');
    } else {
      say(out, `Posted: ${r.type} ${money(r.amount, r.currency)}, event #${r.seq}; cash now ${money(r.cash_balance_after, r.currency)}.`, 'ok');
    }
    form.reset();
    root.tables.payments.reload();
    root.tables.queue.reload();
  } catch (e) {
    showFieldErrors(form, e);
    say(out, e.plain, 'error');
  }
  out.hidden = false;
}

async function decide(ctx, root, p, approve) {
  const res = await confirmDialog(approve
    ? { title: `Approve ${p.type} of ${amount(p.amount)}?`, message: `Requested with the reason “${p.reason}”. The money moves now, through every rule.`, confirmLabel: 'Approve' }
    : { title: `Reject ${p.type} of ${amount(p.amount)}?`, message: 'No money moves; the requester sees your reason.', confirmLabel: 'Reject', danger: true, reason: { label: 'Why' } });
  if (!res) return;
  try {
    if (approve) await ctx.api.post(`/wallet/manual-postings/${p.id}/approve`, {});
    else await ctx.api.post(`/wallet/manual-postings/${p.id}/reject`, { reason: res.reason });
    ctx.toast(approve ? 'Posting approved.' : 'Posting rejected.');
    root.tables.queue.reload();
    root.tables.payments.reload();
  } catch (e) {
    ctx.toast(e.plain, 'error');
  }
}

export default {
  id: 'payments',
  title: 'Payments and postings',
  roles: OPERATIONS,
  template: 'tpl-payments',
  init(ctx, root) {
    const api = ctx.api;
    const typeSelect = $('[data-role=pay-type]', root);
    const queueStatus = $('[data-role=queue-status]', root);
    for (const o of $$('option[data-admin]', root)) o.hidden = !ctx.can(['admin']);
    root.tables = {
      payments: new DataTable($('[data-role=payments]', root), {
        sort: '-created_at',
        empty: 'No deposits or withdrawals yet.',
        columns: eventColumns(),
        load: (page) => api.get('/wallet/events', { type: typeSelect.value, ...page }),
      }),
      queue: new DataTable($('[data-role=queue]', root), {
        pageSize: 20,
        empty: 'Nothing waits for approval.',
        columns: [
          { label: 'Requested', cell: (p) => time(p.requested_at) },
          { label: 'Player', cell: (p) => playerLink(p.player_id) },
          { label: 'Type', cell: (p) => tag(p.type) },
          { label: 'Amount', num: true, cell: (p) => amount(p.amount) },
          { label: 'Reason', key: 'reason', wrap: true },
          { label: 'By', cell: (p) => h('span', { class: 'id' }, p.requested_by.slice(0, 8)) },
          { label: 'Status', cell: (p) => tag(p.status, toneOf(p.status)) },
          {
            label: 'Decision',
            cell: (p) => {
              if (p.status !== 'pending') return p.decision_note || (p.decided_at ? time(p.decided_at) : '—');
              if (!ctx.can(['admin'])) return 'an admin decides';
              if (p.requested_by === api.accountId) return 'needs another admin';
              return h('span', { class: 'actions' },
                h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => decide(ctx, root, p, true) }, 'Approve'),
                h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => decide(ctx, root, p, false) }, 'Reject…'));
            },
          },
        ],
        load: async ({ limit, offset }) => ({ items: await api.get('/wallet/manual-postings', { status: queueStatus.value, limit, offset }) }),
      }),
    };
    typeSelect.addEventListener('change', () => root.tables.payments.reload({ reset: true }));
    queueStatus.addEventListener('change', () => root.tables.queue.reload({ reset: true }));
    const form = $('[data-role=posting]', root);
    form.addEventListener('submit', (e) => { e.preventDefault(); post(ctx, root, form); });
  },
  show(ctx, root, param) {
    if (param) $('[data-role=posting]', root).player_id.value = param;
    return Promise.all([root.tables.payments.reload(), root.tables.queue.reload()]);
  },
};
