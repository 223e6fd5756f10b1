// 5. Wallet events: every stream platform-wide, searchable by player, type, reference,
// round and idempotency key.

import { $, h, money, time, tag } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { STAFF, filterValues, playerLink, dayStart, applyParam } from './common.js';

/** The columns of a wallet-event table (shared with the payments tab). */
export function eventColumns() {
  return [
    { label: 'When', sort: 'created_at', cell: (e) => time(e.created_at) },
    { label: 'Player', cell: (e) => playerLink(e.player_id) },
    { label: 'Seq', key: 'seq', num: true },
    { label: 'Type', cell: (e) => tag(e.type) },
    { label: 'Amount', sort: 'amount', num: true, cell: (e) => money(e.amount, e.currency) },
    { label: 'Cash after', num: true, cell: (e) => money(e.cash_balance_after, e.currency) },
    { label: 'Reference', cell: (e) => e.reference || '—' },
    { label: 'Idempotency key', cell: (e) => h('span', { class: 'id' }, e.idempotency_key) },
    { label: 'Posted by', cell: (e) => (e.posted_by ? h('span', { title: e.reason || '' }, `staff ${e.posted_by.slice(0, 8)}`) : '—') },
  ];
}

export default {
  id: 'wallet-events',
  title: 'Wallet events',
  roles: STAFF,
  template: 'tpl-wallet-events',
  init(ctx, root) {
    const form = $('[data-role=filters]', root);
    this.table = new DataTable($('[data-role=table]', root), {
      sort: '-created_at',
      empty: 'No wallet event matches these filters.',
      columns: eventColumns(),
      load: (page) => {
        const f = filterValues(form);
        return ctx.api.get('/wallet/events', { ...f, from: dayStart(f.from), to: dayStart(f.to, true), ...page });
      },
    });
    form.addEventListener('submit', (e) => { e.preventDefault(); this.table.reload({ reset: true }); });
  },
  show(ctx, root, param) {
    applyParam($('[data-role=filters]', root), 'player_id', param);
    return this.table.reload({ reset: !!param });
  },
};
