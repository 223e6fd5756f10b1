// The lobby: every game of the catalogue, with its RTP, stakes and volatility.

import { $, h, amount, pct } from '../lib/dom.js';

export default {
  template: 'tpl-lobby',
  title: () => 'Lobby',
  async show(ctx, root) {
    $('[data-role=kyc-note]', root).hidden = ctx.me.kyc_status === 'approved';
    const games = await ctx.api.get('/gal/games');
    // A third-party provider's game opens its own view: it is played on the provider's
    // game servers, launched from here.
    $('[data-role=games]', root).replaceChildren(...games.map((g) => h('a', { class: 'game-card', href: `#${g.third_party ? 'studio' : 'game'}/${g.slug}`, id: `play-${g.slug}` },
      h('span', { class: 'title' }, g.name),
      h('span', { class: 'meta' }, g.third_party ? `${g.provider} · ${g.kind}` : `${g.provider} · ${g.kind} · ${g.volatility} volatility`),
      h('span', {}, `RTP ${pct(g.rtp)}`),
      h('span', { class: 'meta' }, `Stakes ${amount(g.min_bet, ctx.me.currency)} – ${amount(g.max_bet, ctx.me.currency)} ${ctx.me.currency}`))));
  },
};
