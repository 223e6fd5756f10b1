// Keno: pick 1 to 10 numbers of 80; 20 are drawn; the hits are marked.

import { h } from '../../lib/dom.js';
import { reveal } from './common.js';

const MAX = 10;

function board(picked, drawn, hits, onToggle) {
  return h('div', { class: 'keno-board', role: 'group', 'aria-label': drawn ? `Drawn: ${drawn.join(', ')}. Hits: ${hits.length ? hits.join(', ') : 'none'}` : 'Keno board: choose your numbers' },
    Array.from({ length: 80 }, (_, i) => {
      const n = i + 1;
      const cls = hits && hits.includes(n) ? 'hit' : drawn && drawn.includes(n) ? 'drawn' : '';
      return h('button', { type: 'button', class: cls || null, 'aria-pressed': String(picked.has(n)), 'aria-label': `Number ${n}`, onclick: onToggle ? () => onToggle(n) : null, disabled: !onToggle }, String(n));
    }));
}

export default {
  name: 'Keno',
  controls(el) {
    const picked = new Set([7, 18, 29, 44, 63]);
    const count = h('p', { class: 'hint', 'aria-live': 'polite' });
    const clear = h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => { picked.clear(); this.redraw(); } }, 'Clear picks');
    el.replaceChildren(count, clear);
    const ctl = {
      picked,
      count,
      params: () => (picked.size < 1 || picked.size > MAX ? `Pick 1 to ${MAX} numbers on the board.` : { picks: [...picked].sort((a, b) => a - b) }),
    };
    this.ctl = ctl;
    return ctl;
  },
  redraw() {
    const { picked, count, stage } = this.ctl;
    count.textContent = `${picked.size} of at most ${MAX} numbers picked`;
    if (stage) stage.replaceChildren(board(picked, null, null, (n) => this.toggle(n)));
  },
  toggle(n) {
    const { picked } = this.ctl;
    if (picked.has(n)) picked.delete(n);
    else if (picked.size < MAX) picked.add(n);
    this.redraw();
    const again = this.ctl.stage.querySelector(`button[aria-label="Number ${n}"]`);
    if (again) again.focus();
  },
  idle(stage, ctl) {
    ctl.stage = stage;
    this.redraw();
  },
  async render(stage, bet, ctl) {
    await reveal(600);
    const o = bet.outcome;
    stage.replaceChildren(board(ctl.picked, o.drawn, o.hits, null),
      h('p', {}, `${o.hit_count} hit(s) of ${o.picks.length}`),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => this.redraw() }, 'Change picks'));
  },
};
