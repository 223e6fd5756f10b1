// 11. Game control: change RTP targets and stake limits (confirmed first), and the
// history of RTP changes.

import { $, h, amount, pct, time, toMinor } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { confirmDialog } from '../lib/dialog.js';
import { OPERATIONS, COMPLIANCE } from './common.js';

async function changeRtp(ctx, g) {
  const res = await confirmDialog({
    title: `Change the RTP of ${g.name}`,
    message: `Now ${pct(g.rtp_target)}. The paytable changes for rounds started from now on; rounds already played keep theirs. The change is audited.`,
    confirmLabel: 'Change RTP',
    fields: [{ name: 'rtp', label: 'New RTP target (%, 80.00–99.00)', type: 'number', step: '0.01', min: '80', max: '99', required: true, value: g.rtp_target }],
  });
  if (!res) return false;
  await ctx.api.put(`/game-control/rtp/${g.slug}`, { rtp: Number(res.values.rtp) });
  ctx.toast(`RTP of ${g.name} set to ${pct(Number(res.values.rtp))}.`);
  return true;
}

async function changeLimits(ctx, g) {
  const res = await confirmDialog({
    title: `Change the stake limits of ${g.name}`,
    message: `Now ${amount(g.min_bet)} to ${amount(g.max_bet)} per round. The change is audited.`,
    confirmLabel: 'Change limits',
    fields: [
      { name: 'min', label: 'Minimum stake', required: true, value: amount(g.min_bet).replace(/,/g, ''), inputmode: 'decimal' },
      { name: 'max', label: 'Maximum stake', required: true, value: amount(g.max_bet).replace(/,/g, ''), inputmode: 'decimal' },
    ],
  });
  if (!res) return false;
  const min = toMinor(res.values.min);
  const max = toMinor(res.values.max);
  if (!min || !max) throw Object.assign(new Error(), { plain: 'Stakes must be positive amounts with at most two decimals.' });
  await ctx.api.put(`/game-control/limits/${g.slug}`, { min_bet: min, max_bet: max });
  ctx.toast(`Stake limits of ${g.name} set to ${amount(min)} – ${amount(max)}.`);
  return true;
}

export default {
  id: 'game-control',
  title: 'Game control',
  roles: OPERATIONS,
  template: 'tpl-game-control',
  init(ctx, root) {
    const act = (fn, g) => async () => {
      try {
        if (await fn(ctx, g)) await Promise.all([this.table.reload(), this.history.reload(), this.limits && this.limits.reload()]);
      } catch (e) {
        ctx.toast(e.plain || String(e), 'error');
      }
    };
    this.table = new DataTable($('[data-role=table]', root), {
      pageSize: 200,
      caption: 'Stakes in the player\'s own currency.',
      columns: [
        { label: 'Game', key: 'name', sort: true },
        { label: 'RTP target', key: 'rtp_target', sort: true, num: true, cell: (g) => pct(g.rtp_target) },
        { label: 'Theoretical', key: 'rtp_theoretical', num: true, cell: (g) => pct(g.rtp_theoretical, 3) },
        { label: 'Min stake', key: 'min_bet', num: true, cell: (g) => amount(g.min_bet) },
        { label: 'Max stake', key: 'max_bet', num: true, cell: (g) => amount(g.max_bet) },
        { label: 'Changed', key: 'updated_at', sort: true, cell: (g) => (g.updated_by ? time(g.updated_at) : 'default') },
        {
          label: 'Change',
          cell: (g) => h('span', { class: 'actions' },
            h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Change the RTP of ${g.name}`, onclick: act(changeRtp, g) }, 'RTP…'),
            h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Change the stake limits of ${g.name}`, onclick: act(changeLimits, g) }, 'Stake limits…')),
        },
      ],
      load: async () => {
        const [rtp, games] = await Promise.all([ctx.api.get('/game-control/rtp'), ctx.api.get('/gal/games')]);
        return { items: rtp.map((r) => ({ ...games.find((g) => g.slug === r.slug), ...r })) };
      },
    });
    let all = [];
    this.history = new DataTable($('[data-role=history]', root), {
      pageSize: 20,
      empty: 'No RTP has been changed yet.',
      columns: [
        { label: 'When', cell: (c) => time(c.changed_at) },
        { label: 'Game', key: 'slug' },
        { label: 'From', num: true, cell: (c) => pct(c.old_rtp) },
        { label: 'To', num: true, cell: (c) => pct(c.new_rtp) },
        { label: 'By', cell: (c) => h('span', { class: 'id', title: c.changed_by }, c.changed_by.slice(0, 8)) },
      ],
      load: async ({ limit, offset }) => {
        if (offset === 0) all = await ctx.api.get('/game-control/rtp/history');
        return { items: all.slice(offset, offset + limit), total: all.length };
      },
    });
    // Stake-limit changes are in the audit log, which admins (not operators) may read.
    root.querySelector('[data-role=limits-card]').hidden = !ctx.can(COMPLIANCE);
    this.limits = ctx.can(COMPLIANCE) ? new DataTable($('[data-role=limits-history]', root), {
      pageSize: 20,
      empty: 'No stake limit has been changed yet.',
      columns: [
        { label: 'When', cell: (a) => time(a.at) },
        { label: 'Game', cell: (a) => a.target.replace(/^game:/, '') },
        { label: 'From', num: true, cell: (a) => (a.before ? `${amount(a.before.min_bet)} – ${amount(a.before.max_bet)}` : '—') },
        { label: 'To', num: true, cell: (a) => (a.after ? `${amount(a.after.min_bet)} – ${amount(a.after.max_bet)}` : '—') },
        { label: 'By', cell: (a) => h('span', { class: 'id', title: a.actor }, a.actor.slice(0, 8)) },
      ],
      load: async ({ limit, offset }) => ({ items: await ctx.api.get('/audit-log', { action: 'game.limits_changed', limit, offset }) }),
    }) : null;
  },
  show(ctx) {
    return Promise.all([this.table.reload(), this.history.reload({ reset: true }), this.limits ? this.limits.reload({ reset: true }) : null]);
  },
};
