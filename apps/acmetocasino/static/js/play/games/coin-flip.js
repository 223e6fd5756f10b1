// Coin flip: pick a side; the coin lands on heads or tails.

import { h } from '../../lib/dom.js';
import { radios, reveal } from './common.js';

export default {
  name: 'Coin Flip',
  controls(el) {
    const side = radios('Your side', 'side', [['heads', 'Heads'], ['tails', 'Tails']], 'heads');
    el.replaceChildren(side.field);
    return { params: () => ({ side: side.value() }) };
  },
  idle(stage) {
    stage.replaceChildren(h('div', { class: 'coin', role: 'img', 'aria-label': 'A coin, not yet flipped' }, '?'));
  },
  async render(stage, bet) {
    stage.replaceChildren(h('div', { class: 'coin', role: 'img', 'aria-label': 'The coin is in the air' }, '…'));
    await reveal();
    const side = bet.outcome.side;
    stage.replaceChildren(
      h('div', { class: `coin ${side}`, role: 'img', 'aria-label': `The coin landed on ${side}` }, side === 'heads' ? 'HEADS' : 'TAILS'),
      h('p', { class: 'big-number' }, side));
  },
};
