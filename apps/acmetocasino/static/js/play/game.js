// One game's screen: the stake, the game's own bet controls, one round per click (no
// autoplay, no turbo: a round takes at least the game's cycle time), the outcome
// drawn, the payout and balance, and a reality check when one is due.

import { $, fill, amount, pct, toMinor, say } from '../lib/dom.js';
import { idempotencyKey } from '../lib/api.js';
import { confirmDialog } from '../lib/dialog.js';
import dice from './games/dice.js';
import roulette from './games/roulette.js';
import classicSlot from './games/classic-slot.js';
import videoSlot from './games/video-slot.js';
import keno from './games/keno.js';
import plinko from './games/plinko.js';
import crash from './games/crash.js';
import coinFlip from './games/coin-flip.js';

const SCREENS = { dice, roulette, 'classic-slot': classicSlot, 'video-slot': videoSlot, keno, plinko, crash, 'coin-flip': coinFlip };
/** The shortest game cycle: slots 2.5 s (as UK rules ask), other games 1 s. */
const CYCLE_MS = { slot: 2500 };
const wait = (ms) => new Promise((r) => { setTimeout(r, ms); });

async function realityCheck(ctx, rc) {
  const ok = await confirmDialog({
    title: 'Reality check',
    message: `You have played for ${rc.session_minutes} minute(s) this session: staked ${ctx.money(rc.wagered)}, won ${ctx.money(rc.won)}, net ${ctx.money(rc.net_position)}.`,
    confirmLabel: 'Keep playing',
    cancelLabel: 'Take a break',
  });
  if (!ok) ctx.go('#rg');
}

export default {
  template: 'tpl-game',
  title: (slug) => (SCREENS[slug] ? SCREENS[slug].name : 'Game'),
  async show(ctx, root, slug) {
    const screen = SCREENS[slug];
    if (!screen) {
      ctx.go('#lobby');
      return;
    }
    const games = await ctx.api.get('/gal/games');
    const info = games.find((g) => g.slug === slug);
    const currency = ctx.me.currency;
    $('[data-role=title]', root).textContent = info.name;
    $('[data-role=meta]', root).textContent = `${info.provider} · RTP ${pct(info.rtp)} · ${info.volatility} volatility. ${info.params_help}.`;
    const form = $('[data-role=bet]', root);
    form.amount.value = amount(info.min_bet, currency).replace(/,/g, '');
    $('[data-role=stake-hint]', root).textContent = `${amount(info.min_bet, currency)} to ${amount(info.max_bet, currency)} ${currency}`;
    const stage = $('[data-role=stage]', root);
    const controls = screen.controls($('[data-role=controls]', root), info);
    screen.idle(stage, controls);
    const result = $('[data-role=result]', root);
    const err = $('[data-role=error]', root);
    const button = $('[data-role=play]', root);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (button.disabled) return;
      err.hidden = true;
      const stake = toMinor(form.amount.value, currency);
      if (!stake) {
        say(err, `Enter a stake in ${currency}, e.g. ${amount(info.min_bet, currency)}.`, 'error');
        err.hidden = false;
        return;
      }
      const params = controls.params();
      if (typeof params === 'string') {
        say(err, params, 'error');
        err.hidden = false;
        return;
      }
      button.disabled = true;
      result.className = 'result';
      result.textContent = 'Playing…';
      const started = Date.now();
      try {
        const bet = await ctx.api.post('/gal/play', { game_slug: slug, amount: stake, params, idempotency_key: idempotencyKey('round') });
        await screen.render(stage, bet, controls);
        const rest = (CYCLE_MS[info.kind] || 1000) - (Date.now() - started);
        if (rest > 0) await wait(rest);
        ctx.played(bet);
        result.className = `result ${bet.payout > 0 ? 'win' : 'loss'}`;
        result.textContent = bet.payout > 0
          ? `You win ${ctx.money(bet.payout)} (${bet.multiplier.toFixed(2)}×)`
          : `No win this time. Stake ${ctx.money(bet.amount)}.`;
        const box = $('[data-role=round]', root);
        fill(box, { ...bet, payout: ctx.money(bet.payout) });
        const link = $('[data-role=round-link]', root);
        link.textContent = bet.round_id;
        link.href = `#fairness/${bet.round_id}`;
        box.hidden = false;
        if (bet.reality_check) await realityCheck(ctx, bet.reality_check);
      } catch (p) {
        result.textContent = '';
        say(err, p.plain || String(p), 'error');
        err.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
  },
};
