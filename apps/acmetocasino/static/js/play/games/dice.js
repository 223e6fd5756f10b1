// Dice: a target on the 00.00–99.99 scale and a direction; the roll is marked on the
// track with the winning zone.

import { h } from '../../lib/dom.js';
import { input, radios, reveal } from './common.js';

function track(target, direction, roll) {
  const t = target / 100;
  const zone = direction === 'under' ? { left: 0, width: t } : { left: t, width: 100 - t };
  const bar = h('div', { class: 'dice-track', role: 'img', 'aria-label': `Winning zone ${direction} ${t.toFixed(2)}${roll != null ? `, roll ${(roll / 100).toFixed(2)}` : ''}` },
    h('div', { class: 'win-zone', style: `left:${zone.left}%;width:${zone.width}%` }));
  if (roll != null) bar.append(h('div', { class: 'marker', style: `left:${roll / 100}%` }));
  return bar;
}

export default {
  name: 'Dice',
  controls(el) {
    const target = input('Target (0.01–99.98)', 'target', { inputmode: 'decimal', value: '50.00' }, '');
    const direction = radios('Roll', 'direction', [['under', 'Under the target'], ['over', 'Over the target']], 'under');
    const hint = target.field.querySelector('.hint');
    const update = () => {
      const t = Math.round(Number(target.el.value) * 100);
      const wins = direction.value() === 'under' ? t : 9999 - t;
      if (hint) hint.textContent = Number.isFinite(wins) && wins > 0 ? `Win chance ${(wins / 100).toFixed(2)} %` : '';
    };
    target.el.addEventListener('input', update);
    direction.field.addEventListener('change', update);
    el.replaceChildren(target.field, direction.field);
    update();
    return {
      params: () => {
        const t = Math.round(Number(target.el.value) * 100);
        if (!Number.isFinite(t) || t < 1 || t > 9998) return 'The target must be between 0.01 and 99.98.';
        return { target: t, direction: direction.value() };
      },
    };
  },
  idle(stage, controls) {
    const p = controls.params();
    stage.replaceChildren(h('p', { class: 'big-number', 'aria-hidden': 'true' }, '--.--'), track(p.target || 5000, p.direction || 'under', null));
  },
  async render(stage, bet, controls) {
    await reveal(400);
    const o = bet.outcome;
    const p = controls.params();
    stage.replaceChildren(
      h('p', { class: `big-number ${o.won ? 'pos' : 'neg'}` }, o.roll_display),
      track(p.target, p.direction, o.roll));
  },
};
