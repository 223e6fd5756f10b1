// Sign in, or create an account (the server's validation errors shown at each field).

import { $, say, showFieldErrors, formValues } from '../lib/dom.js';

export default {
  template: 'tpl-auth',
  title: () => 'Sign in',
  show(ctx, root) {
    const login = $('[data-role=login]', root);
    const loginErr = $('[data-role=login-error]', root);
    login.addEventListener('submit', async (e) => {
      e.preventDefault();
      loginErr.hidden = true;
      if (!login.reportValidity()) return;
      try {
        await ctx.api.login(login.login.value.trim(), login.password.value);
        if (ctx.api.role !== 'player') {
          await ctx.api.logout();
          say(loginErr, 'Staff accounts sign in at the back office (/dashboard.html).', 'error');
          loginErr.hidden = false;
          return;
        }
        await ctx.signedIn();
      } catch (p) {
        say(loginErr, p.plain || String(p), 'error');
        loginErr.hidden = false;
      }
    });
    const reg = $('[data-role=register]', root);
    const regErr = $('[data-role=register-error]', root);
    reg.addEventListener('submit', async (e) => {
      e.preventDefault();
      regErr.hidden = true;
      showFieldErrors(reg, null);
      const v = formValues(reg);
      try {
        // The server checks every field; its answer names each one that is wrong.
        await ctx.api.post('/players', { username: v.username || '', email: v.email || '', password: reg.password.value,
          date_of_birth: v.date_of_birth || '', country: v.country || '', currency: v.currency });
        await ctx.api.login(v.username, reg.password.value);
        await ctx.signedIn();
        ctx.toast('Welcome! Verify your identity in Account and KYC, then set your limits.');
      } catch (p) {
        showFieldErrors(reg, p);
        say(regErr, p.plain || String(p), 'error');
        regErr.hidden = false;
        const bad = reg.querySelector('[aria-invalid=true]');
        if (bad) bad.focus();
      }
    });
  },
};
