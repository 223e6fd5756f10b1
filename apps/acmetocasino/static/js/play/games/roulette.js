// European roulette: every standard bet (straight, split, street, corner, six line,
// column, dozen, red/black, odd/even, low/high); the wheel shows the winning pocket.

import { h } from '../../lib/dom.js';
import { svg, select, input, reveal } from './common.js';

const ORDER = [0, 32, 15, 19, 4, 21, 2, 25, 17, 34, 6, 27, 13, 36, 11, 30, 8, 23, 10, 5, 24, 16, 33, 1, 20, 14, 31, 9, 22, 18, 29, 7, 28, 12, 35, 3, 26];
const RED = new Set([1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36]);
const COUNT = { straight: 1, split: 2, street: 3, corner: 4, six_line: 6 };

function colour(n) {
  return n === 0 ? '#15803d' : RED.has(n) ? '#b91c1c' : '#111827';
}

function wheel(winner) {
  const r = 120;
  const slices = ORDER.map((n, i) => {
    const a0 = (i / 37) * 2 * Math.PI - Math.PI / 2;
    const a1 = ((i + 1) / 37) * 2 * Math.PI - Math.PI / 2;
    const p = (a, rad) => `${130 + rad * Math.cos(a)},${130 + rad * Math.sin(a)}`;
    const mid = (a0 + a1) / 2;
    return svg('g', {},
      svg('path', { d: `M130,130 L${p(a0, r)} A${r},${r} 0 0 1 ${p(a1, r)} Z`, fill: colour(n), stroke: n === winner ? '#f5b942' : '#374151', 'stroke-width': n === winner ? 4 : 1 }),
      svg('text', { x: 130 + 100 * Math.cos(mid), y: 134 + 100 * Math.sin(mid), 'text-anchor': 'middle', 'font-size': 10, fill: '#fff' }, String(n)));
  });
  const label = winner == null ? 'European roulette wheel' : `The ball landed on ${winner} ${winner === 0 ? 'green' : RED.has(winner) ? 'red' : 'black'}`;
  return svg('svg', { viewBox: '0 0 260 260', width: 260, height: 260, role: 'img', 'aria-label': label },
    ...slices,
    svg('circle', { cx: 130, cy: 130, r: 58, fill: '#0c1320', stroke: '#f5b942' }),
    svg('text', { x: 130, y: 142, 'text-anchor': 'middle', 'font-size': 34, 'font-weight': 800, fill: '#fff' }, winner == null ? '?' : String(winner)));
}

export default {
  name: 'European Roulette',
  controls(el) {
    const kind = select('Bet', 'bet', [
      ['red', 'Red'], ['black', 'Black'], ['odd', 'Odd'], ['even', 'Even'], ['low', 'Low (1–18)'], ['high', 'High (19–36)'],
      ['dozen', 'Dozen'], ['column', 'Column'], ['straight', 'Straight (one number)'], ['split', 'Split (2 numbers)'],
      ['street', 'Street (3 numbers)'], ['corner', 'Corner (4 numbers)'], ['six_line', 'Six line (6 numbers)'],
    ], 'red');
    const which = select('Which', 'which', [['1', 'First'], ['2', 'Second'], ['3', 'Third']], '1');
    const numbers = input('Numbers', 'numbers', { autocomplete: 'off', placeholder: 'e.g. 17 or 17,20' }, 'Comma-separated pocket numbers, 0–36');
    const sync = () => {
      const k = kind.el.value;
      which.field.hidden = k !== 'dozen' && k !== 'column';
      numbers.field.hidden = !(k in COUNT);
    };
    kind.el.addEventListener('change', sync);
    el.replaceChildren(kind.field, which.field, numbers.field);
    sync();
    return {
      params: () => {
        const k = kind.el.value;
        if (k === 'dozen' || k === 'column') return { bet: k, [k]: Number(which.el.value) };
        if (k in COUNT) {
          const list = numbers.el.value.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
          if (list.length !== COUNT[k] || list.some((n) => !Number.isInteger(n) || n < 0 || n > 36)) {
            return `A ${k.replace('_', ' ')} bet needs ${COUNT[k]} pocket number(s) from 0 to 36.`;
          }
          return { bet: k, numbers: list };
        }
        return { bet: k };
      },
    };
  },
  idle(stage) {
    stage.replaceChildren(wheel(null));
  },
  async render(stage, bet) {
    await reveal(700);
    const o = bet.outcome;
    stage.replaceChildren(wheel(o.pocket), h('p', { class: 'big-number' }, `${o.pocket} ${o.color}`));
  },
};
