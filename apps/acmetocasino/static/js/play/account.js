// The account and KYC: the player's profile, and the identity documents to submit.

import { $, fill, say, showFieldErrors, formValues } from '../lib/dom.js';

export default {
  template: 'tpl-account',
  title: () => 'Account and KYC',
  async show(ctx, root) {
    const me = await ctx.refreshMe();
    fill(root, me);
    const card = $('[data-role=kyc-card]', root);
    const form = $('[data-role=kyc]', root);
    const out = $('[data-role=kyc-result]', root);
    const status = (s) => {
      form.hidden = s === 'approved' || s === 'pending';
      if (s === 'approved') say(out, 'Your identity is verified.', 'ok');
      else if (s === 'pending') say(out, 'Your documents are being checked by our team.', 'warn');
      else if (s === 'rejected') say(out, 'Your last submission was rejected; please submit again.', 'error');
      out.hidden = s === 'none';
    };
    status(me.kyc_status);
    card.hidden = false;
    form.issuing_country.value = me.country;
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      showFieldErrors(form, null);
      try {
        const r = await ctx.api.post(`/compliance/kyc/${ctx.api.accountId}/submit`, formValues(form));
        await ctx.refreshMe();
        fill(root, ctx.me);
        status(r.status);
        if (r.status === 'rejected' && r.reason) say(out, `Rejected: ${r.reason}`, 'error');
      } catch (p) {
        showFieldErrors(form, p);
        say(out, p.plain, 'error');
        out.hidden = false;
      }
    });
  },
};
