// 10. RTP performance: actual vs target per game with the 99 % band, as a chart.

import { $, int, amount, pct, tag } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { draw, palette } from '../lib/charts.js';
import { STAFF } from './common.js';

const num = (v, d = 2) => (typeof v === 'number' ? Number(v.toFixed(d)) : null);

export default {
  id: 'rtp',
  title: 'RTP performance',
  roles: STAFF,
  template: 'tpl-rtp',
  init(ctx, root) {
    this.table = new DataTable($('[data-role=table]', root), {
      pageSize: 200,
      caption: 'Stakes and payouts add each player\'s currency up as numbers; RTPs are in percent.',
      rowClass: (g) => (g.out_of_band ? 'flagged' : null),
      columns: [
        { label: 'Game', key: 'slug', sort: true },
        { label: 'Rounds', key: 'rounds', sort: true, num: true, cell: (g) => int(g.rounds) },
        { label: 'Wagered', key: 'wagered', sort: true, num: true, cell: (g) => amount(g.wagered) },
        { label: 'Paid', key: 'paid', sort: true, num: true, cell: (g) => amount(g.paid) },
        { label: 'Actual RTP', key: 'actual_rtp', sort: true, num: true, cell: (g) => pct(g.actual_rtp) },
        { label: 'Target RTP', key: 'target_rtp', sort: true, num: true, cell: (g) => pct(g.target_rtp) },
        { label: 'Deviation (pp)', key: 'deviation_pp', sort: true, num: true, cell: (g) => (g.deviation_pp == null ? '—' : g.deviation_pp.toFixed(2)) },
        { label: '99 % band', cell: (g) => (g.ci99_low == null ? '—' : `${g.ci99_low.toFixed(2)} – ${g.ci99_high.toFixed(2)} %`) },
        { label: 'Check', cell: (g) => (g.rounds === 0 ? tag('no rounds') : g.out_of_band ? tag('out of band', 'bad') : tag('within band', 'ok')) },
      ],
      load: async () => {
        const s = await ctx.api.get('/game-control/stats');
        this.draw(root, s.games);
        return { items: [...s.games, s.platform] };
      },
    });
  },
  draw(root, games) {
    const p = palette();
    const played = games.filter((g) => g.rounds > 0);
    const rows = played.length ? played : games;
    draw($('[data-chart=rtp]', root), {
      type: 'bar',
      labels: rows.map((g) => g.slug),
      x: 'Game',
      y: 'RTP (%)',
      yBeginAtZero: false,
      datasets: [
        { label: '99 % band around the target', data: rows.map((g) => (g.ci99_low == null ? null : [num(g.ci99_low), num(g.ci99_high)])), color: 'rgba(96, 165, 250, .35)', borderWidth: 1, order: 3 },
        { label: 'Target RTP', type: 'line', data: rows.map((g) => num(g.target_rtp)), color: p.gold, showLine: false, pointRadius: 6, pointStyle: 'line', borderWidth: 3, order: 2 },
        { label: 'Actual RTP', type: 'line', data: rows.map((g) => num(g.actual_rtp)), color: p.green, showLine: false, pointRadius: 5, order: 1 },
      ],
    });
  },
  show() {
    return this.table.reload();
  },
};
