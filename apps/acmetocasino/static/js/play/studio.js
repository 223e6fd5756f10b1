// A third-party provider's game: it runs on the provider's game servers, which call the
// wallet for every bet and win. Launching it opens a game session and issues the launch
// token the provider's game client authenticates with.

import { $, fill, amount, pct, say } from '../lib/dom.js';

export default {
  template: 'tpl-studio',
  title: () => 'Provider game',
  async show(ctx, root, slug) {
    const games = await ctx.api.get('/gal/games');
    const info = games.find((g) => g.slug === slug && g.third_party);
    if (!info) {
      ctx.go('#lobby');
      return;
    }
    const currency = ctx.me.currency;
    $('[data-role=title]', root).textContent = info.name;
    $('[data-role=meta]', root).textContent = `${info.provider} · ${info.kind} · RTP ${pct(info.rtp)} (declared by the provider) · stakes ${amount(info.min_bet, currency)} – ${amount(info.max_bet, currency)} ${currency}`;
    const button = $('[data-role=launch]', root);
    const err = $('[data-role=error]', root);
    button.addEventListener('click', async () => {
      button.disabled = true;
      err.hidden = true;
      try {
        const launch = await ctx.api.post('/gal/launch', { game_slug: slug });
        fill($('[data-role=launched]', root), {
          session_id: launch.session_id,
          provider: launch.provider,
          expires: new Date(launch.launch_token_expires_at).toLocaleTimeString(),
        });
        $('[data-role=launched]', root).hidden = false;
      } catch (e) {
        say(err, e.plain || String(e), 'error');
        err.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
  },
};
