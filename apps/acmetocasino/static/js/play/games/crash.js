// Crash: choose the automatic cash-out with the bet; the multiplier climbs until it
// crashes, and the bet wins when the crash point reaches the cash-out.

import { h } from '../../lib/dom.js';
import { svg, input, reveal } from './common.js';

function curve(crashPoint, cashout) {
  const w = 320;
  const hgt = 180;
  const top = Math.max(crashPoint || 2, cashout || 2) * 1.1;
  const y = (m) => hgt - 10 - ((m - 1) / (top - 1)) * (hgt - 30);
  const items = [svg('line', { x1: 10, y1: y(cashout), x2: w - 10, y2: y(cashout), stroke: '#34d399', 'stroke-dasharray': '6 4' }),
    svg('text', { x: w - 12, y: y(cashout) - 4, 'text-anchor': 'end', 'font-size': 12, fill: '#34d399' }, `cash-out ${cashout.toFixed(2)}×`)];
  let label = `Cash-out at ${cashout.toFixed(2)} times the stake`;
  if (crashPoint) {
    const pts = [];
    for (let i = 0; i <= 40; i += 1) {
      const m = 1 + (crashPoint - 1) * (i / 40) ** 2;
      pts.push(`${10 + (i / 40) * (w - 20)},${y(m)}`);
    }
    items.push(svg('polyline', { points: pts.join(' '), fill: 'none', stroke: crashPoint >= cashout ? '#34d399' : '#f87171', 'stroke-width': 3 }));
    label = `It crashed at ${crashPoint.toFixed(2)} times; the cash-out was ${cashout.toFixed(2)}`;
  }
  return svg('svg', { viewBox: `0 0 ${w} ${hgt}`, width: w, height: hgt, role: 'img', 'aria-label': label }, ...items);
}

export default {
  name: 'Crash',
  controls(el) {
    const cashout = input('Automatic cash-out (×)', 'cashout', { inputmode: 'decimal', value: '2.00' }, '1.01 to 1000.00');
    el.replaceChildren(cashout.field);
    return {
      cashout,
      params: () => {
        const c = Number(cashout.el.value);
        if (!Number.isFinite(c) || c < 1.01 || c > 1000) return 'The cash-out must be between 1.01 and 1000.00.';
        return { cashout: Math.round(c * 100) / 100 };
      },
    };
  },
  idle(stage, ctl) {
    const p = ctl.params();
    stage.replaceChildren(h('p', { class: 'big-number' }, '1.00×'), curve(null, typeof p === 'string' ? 2 : p.cashout));
  },
  async render(stage, bet) {
    await reveal(800);
    const o = bet.outcome;
    stage.replaceChildren(h('p', { class: `big-number ${o.won ? 'pos' : 'neg'}` }, `${o.crash_point.toFixed(2)}×`),
      curve(o.crash_point, o.cashout),
      h('p', {}, o.won ? `Cashed out at ${o.cashout.toFixed(2)}×` : `Crashed before ${o.cashout.toFixed(2)}×`));
  },
};
