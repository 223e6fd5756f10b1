// Plinko: rows and risk; the ball's path through the pegs ends in a slot.

import { h } from '../../lib/dom.js';
import { svg, select, reveal } from './common.js';

function boardSvg(rows, path) {
  const w = 320;
  const gap = w / (rows + 2);
  const pegs = [];
  for (let r = 0; r < rows; r += 1) {
    for (let i = 0; i <= r; i += 1) {
      pegs.push(svg('circle', { cx: w / 2 + (i - r / 2) * gap, cy: 20 + r * gap, r: 3, fill: '#8d9ab0' }));
    }
  }
  const items = [...pegs];
  let label = `Plinko board with ${rows} rows`;
  if (path) {
    let x = w / 2;
    const points = [`${x},6`];
    path.forEach((step, r) => {
      x += (step ? 1 : -1) * (gap / 2);
      points.push(`${x},${20 + r * gap + gap / 2}`);
    });
    const slot = path.reduce((a, b) => a + b, 0);
    items.push(svg('polyline', { points: points.join(' '), fill: 'none', stroke: '#f5b942', 'stroke-width': 3 }));
    items.push(svg('circle', { cx: x, cy: 20 + rows * gap, r: 7, fill: '#f5b942' }));
    label = `The ball went ${path.map((s) => (s ? 'right' : 'left')).join(', ')} and landed in slot ${slot}`;
  }
  const height = 40 + rows * gap;
  return svg('svg', { viewBox: `0 0 ${w} ${height}`, width: w, height, role: 'img', 'aria-label': label }, ...items);
}

export default {
  name: 'Plinko',
  controls(el) {
    const rows = select('Rows', 'rows', [['8', '8'], ['12', '12'], ['16', '16']], '16');
    const risk = select('Risk', 'risk', [['low', 'Low'], ['medium', 'Medium'], ['high', 'High']], 'medium');
    el.replaceChildren(rows.field, risk.field);
    const ctl = { params: () => ({ rows: Number(rows.el.value), risk: risk.el.value }) };
    rows.el.addEventListener('change', () => { if (ctl.stage) ctl.stage.replaceChildren(boardSvg(Number(rows.el.value), null)); });
    return ctl;
  },
  idle(stage, ctl) {
    ctl.stage = stage;
    stage.replaceChildren(boardSvg(ctl.params().rows, null));
  },
  async render(stage, bet) {
    await reveal(700);
    const o = bet.outcome;
    stage.replaceChildren(boardSvg(o.rows, o.path), h('p', {}, `Slot ${o.slot} (${o.risk} risk)`));
  },
};
