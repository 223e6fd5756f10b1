// Responsible gaming: deposit limits with their pending state and when it applies,
// session limits and reality checks, time-outs, and self-exclusion behind a clear
// two-step confirmation.

import { $, h, time, toMinor, say, showFieldErrors, tag, scroller } from '../lib/dom.js';
import { confirmDialog } from '../lib/dialog.js';

const SE_TEXT = { '1_month': '1 month', '3_months': '3 months', '6_months': '6 months', '1_year': '1 year', '5_years': '5 years', permanent: 'permanently' };

function render(ctx, root, s) {
  $('[data-role=jurisdiction]', root).textContent = `Your rules follow jurisdiction ${s.jurisdiction}. Lowering a limit applies at once; raising or removing one waits for a cooling-off period.`;
  const rows = s.limits.map((l) => h('tr', {},
    h('th', { scope: 'row' }, l.period),
    h('td', { class: 'num' }, l.active == null ? 'none' : ctx.money(l.active)),
    h('td', {}, l.pending ? [tag('pending', 'warn'), ` ${l.pending.amount == null ? 'removal' : ctx.money(l.pending.amount)} from ${time(l.pending.effective_at)}`] : '—'),
    h('td', { class: 'num' }, ctx.money(l.used)),
    h('td', { class: 'num' }, l.remaining == null ? '—' : ctx.money(l.remaining))));
  $('[data-role=limits]', root).replaceChildren(scroller(h('table', { class: 'data' },
    h('caption', {}, 'Deposits count over rolling windows: 24 hours, 7 days, 30 days.'),
    h('thead', {}, h('tr', {}, ['Period', 'Limit', 'Pending change', 'Used', 'Left'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)), 'Deposit limits'));
  const sl = s.session_limits;
  const pend = (p) => (p ? ` (changing to ${p.minutes ?? 'none'} from ${time(p.effective_at)})` : '');
  $('[data-role=session-now]', root).textContent = `Play time per day: ${sl.daily_minutes ? `${sl.daily_minutes} min` : 'no limit'}${pend(sl.daily_minutes_pending)}. `
    + `Reality check: ${sl.reality_check_minutes ? `every ${sl.reality_check_minutes} min` : 'off'}${pend(sl.reality_check_minutes_pending)}. Played today: ${s.session_minutes_today} min.`;
  const ex = s.exclusion;
  $('[data-role=exclusion-now]', root).textContent = ex && ex.active
    ? `You are on a ${ex.kind === 'self_exclusion' ? 'self-exclusion' : 'time-out'} until ${ex.ends_at ? time(ex.ends_at) : 'further notice (permanent)'}.`
    : 'No time-out or self-exclusion in force.';
}

export default {
  template: 'tpl-rg',
  title: () => 'Responsible gaming',
  async show(ctx, root) {
    const api = ctx.api;
    const id = api.accountId;
    const out = $('[data-role=rg-result]', root);
    const load = async () => render(ctx, root, await api.get(`/responsible-gaming/status/${id}`));
    const done = (text, kind = 'ok') => { say(out, text, kind); out.hidden = false; };
    await load();

    const limit = $('[data-role=limit]', root);
    limit.addEventListener('submit', async (e) => {
      e.preventDefault();
      showFieldErrors(limit, null);
      const raw = limit.amount.value.trim();
      const amount = raw === '' ? null : toMinor(raw, ctx.me.currency);
      if (raw !== '' && !amount) return done(`Enter the limit in ${ctx.me.currency}, e.g. 100.00, or leave it empty to remove it.`, 'error');
      try {
        const r = await api.post('/responsible-gaming/limits', { period: limit.period.value, amount });
        const l = r.limits.find((x) => x.period === limit.period.value);
        await load();
        done(l.pending ? `Saved: the change applies from ${time(l.pending.effective_at)} (cooling-off).` : 'Saved: the limit applies now.');
      } catch (p) {
        showFieldErrors(limit, p);
        done(p.plain, 'error');
      }
      return undefined;
    });

    const session = $('[data-role=session]', root);
    session.addEventListener('submit', async (e) => {
      e.preventDefault();
      showFieldErrors(session, null);
      const n = (v) => (v.trim() === '' ? null : Number(v));
      try {
        await api.post(`/responsible-gaming/session-limits/${id}`, { daily_minutes: n(session.daily_minutes.value), reality_check_minutes: n(session.reality_check_minutes.value) });
        await load();
        done('Session limits saved.');
      } catch (p) {
        showFieldErrors(session, p);
        done(p.plain, 'error');
      }
    });

    $('[data-role=timeout]', root).addEventListener('submit', async (e) => {
      e.preventDefault();
      const duration = e.currentTarget.duration;
      const ok = await confirmDialog({
        title: `Take a ${duration.selectedOptions[0].textContent} time-out?`,
        message: 'You will not be able to deposit or play until it ends, and it cannot be shortened. Withdrawals stay possible.',
        confirmLabel: 'Start the time-out',
        danger: true,
      });
      if (!ok) return;
      try {
        await api.post(`/responsible-gaming/exclude/${id}`, { kind: 'timeout', duration: duration.value });
        await load();
        done('Your time-out has started.');
      } catch (p) {
        done(p.plain, 'error');
      }
    });

    // Self-exclusion: choose, then read what it means and confirm explicitly.
    const step1 = $('[data-role=se-step1]', root);
    const step2 = $('[data-role=se-step2]', root);
    const understand = $('[data-role=se-understand]', root);
    const confirm = $('[data-role=se-confirm]', root);
    step1.addEventListener('submit', (e) => {
      e.preventDefault();
      const d = step1.duration.value;
      $('[data-role=se-summary]', root).textContent = `You are about to self-exclude ${SE_TEXT[d]}. From now on you cannot deposit or play${d === 'permanent' ? ', ever' : ' until it ends'}; nobody can shorten or lift it, not even our staff. You can still withdraw your balance.`;
      step2.hidden = false;
      understand.checked = false;
      confirm.disabled = true;
      understand.focus();
    });
    understand.addEventListener('change', () => { confirm.disabled = !understand.checked; });
    $('[data-role=se-cancel]', root).addEventListener('click', () => { step2.hidden = true; step1.duration.focus(); });
    confirm.addEventListener('click', async () => {
      try {
        await api.post(`/responsible-gaming/exclude/${id}`, { kind: 'self_exclusion', duration: step1.duration.value });
        step2.hidden = true;
        await load();
        done('You are self-excluded. Help is available from your national gambling helpline.', 'warn');
      } catch (p) {
        done(p.plain, 'error');
      }
    });
  },
};
