// Classic slot: three reels, one payline; the stopped symbols and any paying combination.

import { h } from '../../lib/dom.js';
import { reveal } from './common.js';

function reels(symbols, hit) {
  return h('div', { class: 'reels', role: 'img', 'aria-label': symbols ? `Reels stopped on ${symbols.join(', ')}` : 'Three reels, not spun yet' },
    (symbols || ['?', '?', '?']).map((s) => h('div', { class: 'reel' }, h('div', { class: `symbol ${hit ? 'hit' : ''}` }, s))));
}

export default {
  name: 'Classic Slot',
  controls(el) {
    el.replaceChildren(h('p', { class: 'hint' }, 'One payline; the stake is the line bet.'));
    return { params: () => ({}) };
  },
  idle(stage) {
    stage.replaceChildren(reels(null, false));
  },
  async render(stage, bet) {
    stage.replaceChildren(reels(['…', '…', '…'], false));
    await reveal(900);
    const o = bet.outcome;
    stage.replaceChildren(reels(o.symbols, !!o.win),
      h('p', {}, o.win ? `${o.win.combination} pays ${o.win.multiplier}×` : 'No paying combination'));
  },
};
