// Video slot: five reels, three rows, ten paylines; each winning line listed.

import { h } from '../../lib/dom.js';
import { reveal } from './common.js';

function grid(rows) {
  const cols = rows ? rows[0].map((_, c) => rows.map((r) => r[c])) : Array.from({ length: 5 }, () => ['?', '?', '?']);
  return h('div', { class: 'reels', role: 'img', 'aria-label': rows ? `Rows: ${rows.map((r) => r.join(' ')).join('; ')}` : 'Five reels, not spun yet' },
    cols.map((col) => h('div', { class: 'reel' }, col.map((s) => h('div', { class: 'symbol' }, s)))));
}

export default {
  name: 'Video Slot',
  controls(el) {
    el.replaceChildren(h('p', { class: 'hint' }, 'Ten fixed paylines; the stake covers all of them.'));
    return { params: () => ({}) };
  },
  idle(stage) {
    stage.replaceChildren(grid(null));
  },
  async render(stage, bet) {
    stage.replaceChildren(grid(null));
    await reveal(900);
    const o = bet.outcome;
    const wins = o.line_wins || [];
    stage.replaceChildren(grid(o.grid),
      wins.length
        ? h('ul', {}, wins.map((w) => h('li', {}, `Line ${w.line}: ${w.count} × ${w.symbol} pays ${(w.multiplier_micro / 1e6).toFixed(2)}× the line bet`)))
        : h('p', {}, 'No winning line'));
  },
};
