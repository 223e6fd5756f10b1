// 3. Players: search and filters (status, KYC, VIP tier, country), sorted, in pages.

import { $, tag, toneOf, time } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { STAFF, filterValues, applyParam } from './common.js';
import { h } from '../lib/dom.js';

export default {
  id: 'players',
  title: 'Players',
  roles: STAFF,
  template: 'tpl-players',
  init(ctx, root) {
    const form = $('[data-role=filters]', root);
    this.table = new DataTable($('[data-role=table]', root), {
      sort: '-created_at',
      caption: 'Players matching the filters',
      empty: 'No player matches these filters.',
      columns: [
        { label: 'Username', sort: 'username', cell: (p) => h('a', { href: `#player/${p.id}` }, p.username) },
        { label: 'E-mail', key: 'email' },
        { label: 'Country', key: 'country' },
        { label: 'Currency', key: 'currency' },
        { label: 'Status', cell: (p) => tag(p.status, toneOf(p.status)) },
        { label: 'KYC', cell: (p) => tag(p.kyc_status, toneOf(p.kyc_status)) },
        { label: 'VIP', key: 'vip_tier' },
        { label: 'Registered', sort: 'created_at', cell: (p) => time(p.created_at) },
      ],
      load: (page) => ctx.api.get('/pam/players', { ...filterValues(form), ...page }),
    });
    form.addEventListener('submit', (e) => { e.preventDefault(); this.table.reload({ reset: true }); });
  },
  show(ctx, root, param) {
    applyParam($('[data-role=filters]', root), 'q', param);
    return this.table.reload();
  },
};
