// 8. Game sessions: open and closed, with the totals of every matching one.

import { $, h, int, amount, time, tag, toneOf } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { STAFF, filterValues, playerLink, fillGames, applyParam } from './common.js';

export default {
  id: 'sessions',
  title: 'Game sessions',
  roles: STAFF,
  template: 'tpl-sessions',
  init(ctx, root) {
    const form = $('[data-role=filters]', root);
    this.table = new DataTable($('[data-role=table]', root), {
      sort: '-started_at',
      caption: 'Amounts in each player\'s own currency; the totals add them up as numbers.',
      empty: 'No session matches these filters.',
      columns: [
        { label: 'Started', sort: 'started_at', cell: (s) => time(s.started_at) },
        { label: 'Player', cell: (s) => playerLink(s.player_id) },
        { label: 'Game', key: 'game_slug' },
        { label: 'Status', cell: (s) => tag(s.status, toneOf(s.status)) },
        { label: 'Rounds', sort: 'rounds', num: true, cell: (s) => int(s.rounds) },
        { label: 'Wagered', sort: 'wagered', num: true, cell: (s) => amount(s.wagered) },
        { label: 'Won', num: true, cell: (s) => amount(s.won) },
        { label: 'Net', sort: 'net', num: true, cell: (s) => h('span', { class: s.net >= 0 ? 'pos' : 'neg' }, amount(s.net)) },
        { label: 'Ended', cell: (s) => (s.ended_at ? time(s.ended_at) : '—') },
      ],
      load: (page) => ctx.api.get('/gal/sessions', { ...filterValues(form), ...page }),
      footer: (tfoot, page) => {
        const t = page.totals;
        if (!t) { tfoot.replaceChildren(); return; }
        tfoot.replaceChildren(h('tr', {},
          h('td', { colspan: 4 }, `Totals of ${int(t.sessions)} session(s)`),
          h('td', { class: 'num' }, int(t.rounds)),
          h('td', { class: 'num' }, amount(t.wagered)),
          h('td', { class: 'num' }, amount(t.won)),
          h('td', { class: 'num' }, amount(t.net)),
          h('td', {}, '')));
      },
    });
    form.addEventListener('submit', (e) => { e.preventDefault(); this.table.reload({ reset: true }); });
  },
  async show(ctx, root, param) {
    await fillGames(ctx.api, root);
    applyParam($('[data-role=filters]', root), 'player_id', param);
    return this.table.reload({ reset: !!param });
  },
};
