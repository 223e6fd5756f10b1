// 15. Reports: the per-jurisdiction regulatory report for a date range, shown and
// downloadable as CSV.

import { $, h, amount, int, say, showFieldErrors, scroller } from '../lib/dom.js';
import { STAFF } from './common.js';

function params(form) {
  return { from: form.from.value, to: form.to.value, jurisdiction: form.jurisdiction.value };
}

function render(root, report) {
  const cols = ['jurisdiction', 'wagered', 'paid', 'ggr', 'deposits', 'withdrawals', 'exclusions', 'aml_alerts', 'harm_alerts'];
  const heads = ['Jurisdiction', 'Wagered', 'Paid', 'GGR', 'Deposits', 'Withdrawals', 'Exclusions', 'AML alerts', 'Harm alerts'];
  const money = new Set(['wagered', 'paid', 'ggr', 'deposits', 'withdrawals']);
  const cell = (l, c) => h('td', { class: c === 'jurisdiction' ? null : 'num' }, c === 'jurisdiction' ? l[c] : money.has(c) ? amount(l[c]) : int(l[c]));
  const rows = report.lines.map((l) => h('tr', {}, cols.map((c) => cell(l, c))));
  if (!rows.length) rows.push(h('tr', { class: 'empty-row' }, h('td', { colspan: cols.length }, 'Nothing happened in this range.')));
  const table = h('table', { class: 'data' },
    h('caption', {}, `${report.from} to ${report.to} (UTC, inclusive). Amounts add each player's currency up as numbers.`),
    h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col', class: t === 'Jurisdiction' ? null : 'num' }, t)))),
    h('tbody', {}, rows));
  $('[data-role=table]', root).replaceChildren(scroller(table, 'Regulatory report'));
}

export default {
  id: 'reports',
  title: 'Reports',
  roles: STAFF,
  template: 'tpl-reports',
  init(ctx, root) {
    const form = $('[data-role=filters]', root);
    const err = $('[data-role=error]', root);
    const today = new Date().toISOString().slice(0, 10);
    form.to.value = today;
    form.from.value = `${today.slice(0, 8)}01`;
    const run = async (csv) => {
      err.hidden = true;
      showFieldErrors(form, null);
      if (!form.reportValidity()) return;
      try {
        if (!csv) {
          render(root, await ctx.api.get('/compliance/reports', params(form)));
          return;
        }
        const text = await ctx.api.text('/compliance/reports', { ...params(form), format: 'csv' });
        const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
        const a = h('a', { href: url, download: `report-${form.from.value}-${form.to.value}.csv`, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        ctx.toast('CSV downloaded.');
      } catch (e) {
        showFieldErrors(form, e);
        say(err, e.plain, 'error');
        err.hidden = false;
      }
    };
    form.addEventListener('submit', (e) => { e.preventDefault(); run(false); });
    $('[data-role=csv]', root).addEventListener('click', () => run(true));
  },
  show(ctx, root) {
    return $('[data-role=filters]', root).requestSubmit();
  },
};
