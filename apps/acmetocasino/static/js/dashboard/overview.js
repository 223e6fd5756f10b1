// 1. Overview: key figures and charts over time (GET /back-office/overview).

import { $, fill, int, money, major, pct, h } from '../lib/dom.js';
import { draw, dataTable, palette } from '../lib/charts.js';
import { STAFF } from './common.js';

let last = null;

function render(root) {
  const form = $('[data-role=filters]', root);
  const select = form.currency;
  const currencies = last.currencies.map((c) => c.currency);
  const wanted = select.value && currencies.includes(select.value) ? select.value : currencies[0] || '';
  select.replaceChildren(...(currencies.length ? currencies : ['—']).map((c) => h('option', { value: c === '—' ? '' : c, selected: c === wanted }, c)));
  const c = last.currencies.find((x) => x.currency === wanted) || { deposits: 0, withdrawals: 0, ggr: 0 };
  fill(root, {
    players: int(last.players),
    active_today: int(last.active_today),
    deposits: money(c.deposits, wanted),
    withdrawals: money(c.withdrawals, wanted),
    ggr: money(c.ggr, wanted),
    rounds: int(last.rounds),
    rtp: pct(last.platform_rtp),
  });
  const p = palette();
  const days = last.daily.filter((d) => d.currency === wanted);
  const labels = days.map((d) => d.day.slice(5));
  const unit = wanted || 'minor units';
  draw($('[data-chart=ggr]', root), {
    type: 'bar', labels, x: 'Day (UTC, MM-DD)', y: `GGR (${unit})`,
    datasets: [{ label: `GGR (${unit})`, data: days.map((d) => major(d.ggr, wanted)), color: p.gold }],
  });
  dataTable($('[data-numbers=ggr]', root), `GGR per day in ${unit}`, ['Day', 'Stakes', 'Payouts', 'GGR'],
    days.map((d) => [d.day, money(d.wagered, wanted), money(d.paid, wanted), money(d.ggr, wanted)]));
  draw($('[data-chart=money]', root), {
    type: 'bar', labels, x: 'Day (UTC, MM-DD)', y: `Amount (${unit})`,
    datasets: [
      { label: 'Deposits', data: days.map((d) => major(d.deposits, wanted)), color: p.green },
      { label: 'Withdrawals', data: days.map((d) => major(d.withdrawals, wanted)), color: p.red },
    ],
  });
  dataTable($('[data-numbers=money]', root), `Deposits and withdrawals per day in ${unit}`, ['Day', 'Deposits', 'Withdrawals'],
    days.map((d) => [d.day, money(d.deposits, wanted), money(d.withdrawals, wanted)]));
  const hours = last.hourly;
  draw($('[data-chart=hours]', root), {
    type: 'bar', labels: hours.map((x) => x.hour.slice(11, 13) + ':00'), x: 'Hour (UTC)', y: 'Rounds (count)',
    datasets: [{ label: 'Settled rounds', data: hours.map((x) => x.rounds), color: p.blue }],
  });
  dataTable($('[data-numbers=hours]', root), 'Settled rounds per hour', ['Hour (UTC)', 'Rounds'],
    hours.map((x) => [x.hour.replace('T', ' ').slice(0, 16), int(x.rounds)]));
}

async function load(ctx, root) {
  const form = $('[data-role=filters]', root);
  const err = $('[data-role=error]', root);
  err.hidden = true;
  try {
    last = await ctx.api.get('/back-office/overview', { days: form.days.value, hours: 48 });
    render(root);
  } catch (e) {
    err.textContent = e.plain || String(e);
    err.hidden = false;
  }
}

export default {
  id: 'overview',
  title: 'Overview',
  roles: STAFF,
  template: 'tpl-overview',
  init(ctx, root) {
    const form = $('[data-role=filters]', root);
    form.addEventListener('submit', (e) => { e.preventDefault(); load(ctx, root); });
    form.days.addEventListener('change', () => load(ctx, root));
    form.currency.addEventListener('change', () => { if (last) render(root); });
  },
  show(ctx, root) {
    return load(ctx, root);
  },
};
