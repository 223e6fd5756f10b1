// The player UI: sign-in and registration, then the lobby, the games, the wallet, KYC,
// responsible gaming and provable fairness. Session time and net position stay in the
// header the whole time.

import { Api } from '../lib/api.js';
import { $, h, money, duration, fromTemplate } from '../lib/dom.js';
import auth from './auth.js';
import lobby from './lobby.js';
import game from './game.js';
import studio from './studio.js';
import wallet from './wallet.js';
import account from './account.js';
import rg from './rg.js';
import fairness from './fairness.js';

const VIEWS = { auth, lobby, game, studio, wallet, account, rg, fairness };

const api = new Api({ onSignedOut: (reason) => signedOut(reason) });
let clock = null;

const ctx = {
  api,
  me: null,
  balance: null,
  /** When this sign-in began and what its rounds have netted (payouts − stakes). */
  session: { startedAt: 0, net: 0, rounds: 0 },
  go(hash) { location.hash = hash; },
  toast(text, kind = 'ok') {
    const n = h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
    $('#toasts').append(n);
    setTimeout(() => n.remove(), 6000);
  },
  money(minor) { return money(minor, ctx.me ? ctx.me.currency : undefined); },
  async refreshBalance() {
    const b = await api.get(`/wallet/${api.accountId}/balance`);
    ctx.setBalance(b);
    return b;
  },
  setBalance(b) {
    ctx.balance = b;
    $('#st-balance').textContent = ctx.money(b.total);
  },
  async refreshMe() {
    ctx.me = await api.get('/players/me');
    return ctx.me;
  },
  /** Books a played round into the session's figures. */
  played(bet) {
    ctx.session.rounds += 1;
    ctx.session.net += bet.payout - bet.amount;
    ctx.setBalance({ ...ctx.balance, ...bet.balance });
    renderNet();
  },
  async signedIn() {
    await ctx.refreshMe();
    await ctx.refreshBalance();
    ctx.session = { startedAt: Date.now(), net: 0, rounds: 0 };
    renderNet();
    $('#status').hidden = false;
    $('#player-nav').hidden = false;
    $('#who').textContent = ctx.me.username;
    $('#who').hidden = false;
    $('#logout').hidden = false;
    clearInterval(clock);
    tick();
    clock = setInterval(tick, 1000);
    if (location.hash === '#lobby') route();
    else ctx.go('#lobby');
  },
};

function renderNet() {
  const el = $('#st-net');
  el.textContent = ctx.money(ctx.session.net);
  el.className = ctx.session.net > 0 ? 'pos' : ctx.session.net < 0 ? 'neg' : '';
}

function tick() {
  $('#st-time').textContent = duration((Date.now() - ctx.session.startedAt) / 1000);
}

let current = null;

async function route() {
  const raw = decodeURIComponent(location.hash.replace(/^#/, ''));
  if (raw === 'main') return;
  const [name, ...rest] = raw.split('/');
  const param = rest.join('/');
  const id = api.signedIn ? (VIEWS[name] && name !== 'auth' ? name : 'lobby') : 'auth';
  const view = VIEWS[id];
  for (const a of document.querySelectorAll('#player-nav a')) {
    if (a.getAttribute('href') === `#${id}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (current && current.leave) current.leave();
  current = view;
  const root = h('div', { class: 'view', id: `view-${id}` });
  root.append(fromTemplate(view.template));
  $('#view-host').replaceChildren(root);
  document.title = `${view.title(param)} — AcmeToCasino`;
  try {
    await view.show(ctx, root, param);
  } catch (e) {
    ctx.toast(e.plain || String(e), 'error');
  }
  // Loaded and listening (tests wait for this).
  root.dataset.ready = 'true';
}

function signedOut(reason) {
  clearInterval(clock);
  ctx.me = null;
  ctx.balance = null;
  $('#status').hidden = true;
  $('#player-nav').hidden = true;
  $('#who').hidden = true;
  $('#logout').hidden = true;
  if (reason && reason !== 'signed out') ctx.toast(`Your session ended (${reason}). Please sign in again.`, 'warn');
  if (location.hash === '' || location.hash === '#auth') route();
  else ctx.go('#auth');
}

$('#logout').addEventListener('click', () => { api.logout().catch(() => {}); });
window.addEventListener('hashchange', route);
route();
