// 7. Games catalogue: provider, kind, stake limits and RTP of every game.

import { $, amount, pct, tag } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { STAFF } from './common.js';

export default {
  id: 'games',
  title: 'Games catalogue',
  roles: STAFF,
  template: 'tpl-games',
  init(ctx, root) {
    this.table = new DataTable($('[data-role=table]', root), {
      pageSize: 200,
      caption: 'Stakes in the player\'s own currency.',
      columns: [
        { label: 'Game', key: 'name', sort: true },
        { label: 'Slug', key: 'slug', sort: true },
        { label: 'Provider', key: 'provider', sort: true },
        { label: 'Kind', key: 'kind', sort: true },
        { label: 'Min stake', key: 'min_bet', sort: true, num: true, cell: (g) => amount(g.min_bet) },
        { label: 'Max stake', key: 'max_bet', sort: true, num: true, cell: (g) => amount(g.max_bet) },
        { label: 'RTP target', key: 'rtp', sort: true, num: true, cell: (g) => pct(g.rtp) },
        { label: 'Theoretical', key: 'rtp_theoretical', sort: true, num: true, cell: (g) => pct(g.rtp_theoretical, 3) },
        { label: 'Volatility', key: 'volatility', sort: true, cell: (g) => tag(g.volatility) },
        { label: 'Bet parameters', key: 'params_help', wrap: true },
      ],
      load: async () => ({ items: await ctx.api.get('/gal/games') }),
    });
  },
  show() {
    return this.table.reload();
  },
};
