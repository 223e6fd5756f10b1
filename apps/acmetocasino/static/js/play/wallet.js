// The wallet: balances, deposit (after a prompt to set a deposit limit first), withdraw,
// and the history of the wallet's events.

import { $, fill, time, tag, toMinor, say, showFieldErrors } from '../lib/dom.js';
import { idempotencyKey } from '../lib/api.js';
import { DataTable } from '../lib/table.js';

/** Whether the player has never deposited and set no limit: then the prompt comes first. */
async function needsPrompt(ctx) {
  const id = ctx.api.accountId;
  const [limits, deposits] = await Promise.all([
    ctx.api.get(`/responsible-gaming/limits/${id}`),
    ctx.api.get(`/wallet/${id}/history`, { type: 'DEPOSIT', limit: 1 }),
  ]);
  const anyLimit = limits.limits.some((l) => l.active != null || l.pending);
  return !anyLimit && deposits.events.length === 0;
}

function showBalance(ctx, root) {
  const b = ctx.balance;
  fill(root, { cash: ctx.money(b.cash), bonus: ctx.money(b.bonus), total: ctx.money(b.total) });
}

export default {
  template: 'tpl-wallet',
  title: () => 'Wallet',
  async show(ctx, root) {
    const api = ctx.api;
    const currency = ctx.me.currency;
    const out = $('[data-role=money-result]', root);
    await ctx.refreshBalance();
    showBalance(ctx, root);

    const prompt = $('[data-role=limit-prompt]', root);
    const depositCard = $('[data-role=deposit-card]', root);
    const gate = (open) => {
      prompt.hidden = !open;
      depositCard.hidden = open;
    };
    gate(await needsPrompt(ctx));
    const promptForm = $('[data-role=prompt-form]', root);
    promptForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      showFieldErrors(promptForm, null);
      const amount = toMinor(promptForm.amount.value, currency);
      if (!amount) {
        say(out, `Enter the limit in ${currency}, e.g. 100.00.`, 'error');
        out.hidden = false;
        return;
      }
      try {
        await api.post('/responsible-gaming/limits', { period: promptForm.period.value, amount });
        say(out, `Your ${promptForm.period.value} deposit limit is ${ctx.money(amount)}.`, 'ok');
        gate(false);
      } catch (p) {
        showFieldErrors(promptForm, p);
        say(out, p.plain, 'error');
      }
      out.hidden = false;
    });
    $('[data-role=skip-limit]', root).addEventListener('click', () => gate(false));

    let cursors = [undefined];
    const history = new DataTable($('[data-role=history]', root), {
      pageSize: 10,
      empty: 'No money has moved yet.',
      columns: [
        { label: 'When', cell: (e) => time(e.created_at) },
        { label: 'Type', cell: (e) => tag(e.type) },
        { label: 'Amount', num: true, cell: (e) => ctx.money(e.amount) },
        { label: 'Cash after', num: true, cell: (e) => ctx.money(e.cash_balance_after) },
        { label: 'Reference', cell: (e) => e.reference || '—' },
      ],
      // The history pages by `before_seq`: each page remembers where the next starts.
      load: async ({ limit, offset }) => {
        if (offset === 0) cursors = [undefined];
        const page = offset / limit;
        const r = await api.get(`/wallet/${api.accountId}/history`, { limit, before_seq: cursors[page] });
        cursors[page + 1] = r.next_before_seq;
        return { items: r.events, total: r.next_before_seq ? undefined : offset + r.events.length };
      },
    });
    history.reload();

    const move = (role, path) => {
      const form = $(`[data-role=${role}]`, root);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        showFieldErrors(form, null);
        out.hidden = true;
        const amount = toMinor(form.amount.value, currency);
        if (!amount) {
          say(out, `Enter an amount in ${currency}, e.g. 25.00.`, 'error');
          out.hidden = false;
          return;
        }
        try {
          const ev = await api.post(path, { amount, idempotency_key: idempotencyKey(role) });
          await ctx.refreshBalance();
          showBalance(ctx, root);
          say(out, `${role === 'deposit' ? 'Deposited' : 'Withdrew'} ${ctx.money(ev.amount)}. Cash now ${ctx.money(ev.cash_balance_after)}.`, 'ok');
          form.reset();
          history.reload({ reset: true });
        } catch (p) {
          showFieldErrors(form, p);
          say(out, p.plain, 'error');
        }
        out.hidden = false;
      });
    };
    move('deposit', '/wallet/deposit');
    move('withdraw', '/wallet/withdraw');
  },
};
