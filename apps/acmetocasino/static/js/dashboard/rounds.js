// 9. Game rounds: outcome, the provably fair record, verification, rollback (operators,
// confirmed with a reason), and big wins flagged by the configured thresholds.

import { $, h, fill, amount, int, pct, time, tag, toneOf, say } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { confirmDialog } from '../lib/dialog.js';
import { STAFF, OPERATIONS, filterValues, playerLink, fillGames } from './common.js';

let shown = null;

function multiplier(m) {
  return `${Number(m).toFixed(2)}×`;
}

async function detail(ctx, root, id) {
  const box = $('[data-role=detail]', root);
  let r;
  try {
    r = await ctx.api.get(`/gal/rounds/${id}`);
  } catch (e) {
    ctx.toast(e.plain, 'error');
    return;
  }
  shown = r;
  fill(box, {
    r,
    stake: amount(r.amount),
    payout: amount(r.payout),
    multiplier: multiplier(r.multiplier),
    rtp: pct(r.rtp),
    played: time(r.created_at),
    seed: r.rng.server_seed || 'not revealed yet (the player has not rotated the seed pair)',
    draws: r.rng.draws.map((d) => `${d.value}/${d.n}`).join(' '),
  });
  $('[data-role=outcome]', box).textContent = JSON.stringify({ params: r.params, outcome: r.outcome }, null, 2);
  $('[data-role=verify-result]', box).hidden = true;
  const rollback = $('[data-role=rollback]', box);
  rollback.hidden = !ctx.can(OPERATIONS);
  rollback.disabled = r.status !== 'settled';
  box.hidden = false;
}

export default {
  id: 'rounds',
  title: 'Game rounds',
  roles: STAFF,
  template: 'tpl-rounds',
  init(ctx, root) {
    const form = $('[data-role=filters]', root);
    const lead = $('[data-role=lead]', root);
    this.table = new DataTable($('[data-role=table]', root), {
      sort: '-created_at',
      caption: 'Stakes and payouts in each player\'s own currency. Highlighted rows are big wins.',
      empty: 'No round matches these filters.',
      rowClass: (r) => (r.big_win ? 'flagged' : null),
      columns: [
        { label: 'Played', sort: 'created_at', cell: (r) => time(r.created_at) },
        { label: 'Round', cell: (r) => h('a', { href: `#rounds/${r.id}`, class: 'id', title: r.id }, r.id.slice(0, 8)) },
        { label: 'Game', key: 'game_slug' },
        { label: 'Player', cell: (r) => playerLink(r.player_id) },
        { label: 'Stake', sort: 'amount', num: true, cell: (r) => amount(r.amount) },
        { label: 'Payout', sort: 'payout', num: true, cell: (r) => amount(r.payout) },
        { label: 'Multiplier', sort: 'multiplier', num: true, cell: (r) => multiplier(r.multiplier) },
        { label: 'Status', cell: (r) => [tag(r.status, toneOf(r.status)), r.big_win ? [' ', tag('BIG WIN', 'big')] : null] },
      ],
      load: async (page) => {
        const p = await ctx.api.get('/gal/rounds', { ...filterValues(form), ...page });
        lead.textContent = `Rounds with their outcome and provably fair record. Big wins: a multiplier of ${int(p.big_win_multiplier)}× or more, or a payout of ${amount(p.big_win_amount)} or more.`;
        return p;
      },
    });
    form.addEventListener('submit', (e) => { e.preventDefault(); this.table.reload({ reset: true }); });
    const box = $('[data-role=detail]', root);
    $('[data-role=verify]', box).addEventListener('click', async () => {
      const out = $('[data-role=verify-result]', box);
      try {
        const v = await ctx.api.get(`/gal/rounds/${shown.id}/verify`);
        say(out, v.verified
          ? `Verified: the server seed matches its hash, the ${shown.rng.draws.length} draws and the outcome recompute exactly.`
          : `Not verified: seed matches hash ${v.seed_matches_hash}, draws match ${v.draws_match}, outcome matches ${v.outcome_matches}.`,
        v.verified ? 'ok' : 'error');
      } catch (e) {
        say(out, e.plain, 'error');
      }
      out.hidden = false;
    });
    $('[data-role=rollback]', box).addEventListener('click', async () => {
      const r = shown;
      const res = await confirmDialog({
        title: `Roll back round ${r.id.slice(0, 8)}?`,
        message: `The stake of ${amount(r.amount)} is refunded${r.payout ? ` and the payout of ${amount(r.payout)} reversed` : ''}. This cannot be undone.`,
        confirmLabel: 'Roll back',
        danger: true,
        reason: { label: 'Reason (recorded in the audit log)' },
      });
      if (!res) return;
      try {
        await ctx.api.post(`/gal/rounds/${r.id}/rollback`, { reason: res.reason });
        ctx.toast('Round rolled back.');
        await detail(ctx, root, r.id);
        this.table.reload();
      } catch (e) {
        ctx.toast(e.plain, 'error');
      }
    });
  },
  async show(ctx, root, param) {
    await fillGames(ctx.api, root);
    await this.table.reload();
    if (param) await detail(ctx, root, param);
    else $('[data-role=detail]', root).hidden = true;
  },
};
