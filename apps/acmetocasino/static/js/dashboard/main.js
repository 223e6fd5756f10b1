// The back office: staff sign-in, the seventeen tabs (hidden when the role may not use
// them), deep links `#tab/param`, no full-page reloads.

import { Api } from '../lib/api.js';
import { $, h, say, fromTemplate } from '../lib/dom.js';
import overview from './overview.js';
import live from './live.js';
import players from './players.js';
import player from './player.js';
import walletEvents from './wallet-events.js';
import payments from './payments.js';
import games from './games.js';
import sessions from './sessions.js';
import rounds from './rounds.js';
import rtp from './rtp.js';
import gameControl from './game-control.js';
import kyc from './kyc.js';
import aml from './aml.js';
import rg from './rg.js';
import reports from './reports.js';
import audit from './audit.js';
import system from './system.js';

const TABS = [overview, live, players, player, walletEvents, payments, games, sessions, rounds, rtp, gameControl, kyc, aml, rg, reports, audit, system];

const api = new Api({ onSignedOut: (reason) => signedOut(reason) });
const mounted = new Map();
let current = null;

const ctx = {
  api,
  get role() { return api.role; },
  /** Whether the signed-in role is one of `roles`. */
  can(roles) { return roles.includes(api.role); },
  go(hash) { location.hash = hash; },
  toast(text, kind = 'ok') {
    const n = h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
    $('#toasts').append(n);
    setTimeout(() => n.remove(), 6000);
  },
};

function visibleTabs() {
  return TABS.filter((t) => ctx.can(t.roles));
}

function buildNav() {
  const items = TABS.map((t, i) => {
    const li = h('li', { hidden: !ctx.can(t.roles) },
      h('a', { href: `#${t.id}`, id: `nav-${t.id}` }, h('span', { class: 'num', 'aria-hidden': 'true' }, String(i + 1)), t.title));
    return li;
  });
  $('#tab-nav').replaceChildren(...items);
}

function parseHash() {
  const raw = decodeURIComponent(location.hash.replace(/^#/, ''));
  const slash = raw.indexOf('/');
  return slash < 0 ? [raw, ''] : [raw.slice(0, slash), raw.slice(slash + 1)];
}

async function route() {
  if (!api.signedIn) return;
  let [id, param] = parseHash();
  // The skip link's own target is not a tab.
  if (id === 'main') return;
  if (!id) {
    id = visibleTabs()[0].id;
    history.replaceState(null, '', `#${id}`);
  }
  const tab = TABS.find((t) => t.id === id);
  for (const a of document.querySelectorAll('#tab-nav a')) {
    if (a.getAttribute('href') === `#${id}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const [tid, m] of mounted) m.el.hidden = tid !== id;
  if (current && current !== tab && current.hide) current.hide(ctx);
  const host = $('#tab-host');
  if (!tab || !ctx.can(tab.roles)) {
    let denied = $('#tab-denied');
    if (!denied) {
      denied = h('section', { class: 'tab-panel', id: 'tab-denied' });
      denied.append(fromTemplate('tpl-forbidden'));
      host.append(denied);
    }
    denied.hidden = false;
    current = null;
    document.title = 'Not available — Back office';
    return;
  }
  const denied = $('#tab-denied');
  if (denied) denied.hidden = true;
  let m = mounted.get(id);
  if (!m) {
    const el = h('section', { class: 'tab-panel', id: `tab-${id}`, 'aria-label': tab.title });
    el.append(fromTemplate(tab.template));
    host.append(el);
    m = { el };
    mounted.set(id, m);
    tab.init(ctx, el);
  }
  m.el.hidden = false;
  current = tab;
  document.title = `${tab.title} — Back office`;
  try {
    await tab.show(ctx, m.el, param);
  } catch (e) {
    ctx.toast(e.plain || String(e), 'error');
  }
}

function signedIn() {
  $('#login-view').hidden = true;
  $('#console').hidden = false;
  const who = $('#who');
  who.replaceChildren(h('span', {}, 'Signed in'), h('span', { class: 'role-chip' }, api.role));
  who.hidden = false;
  $('#logout').hidden = false;
  buildNav();
  // The sign-in form is gone: keyboard users continue from the console.
  $('#main').focus();
  route();
}

function signedOut(reason) {
  for (const t of TABS) if (t.hide) t.hide(ctx);
  for (const m of mounted.values()) m.el.remove();
  mounted.clear();
  const denied = $('#tab-denied');
  if (denied) denied.remove();
  current = null;
  $('#console').hidden = true;
  $('#who').hidden = true;
  $('#logout').hidden = true;
  $('#login-view').hidden = false;
  document.title = 'Back office — AcmeToCasino';
  if (reason && reason !== 'signed out') say($('#login-error'), `Your session ended (${reason}). Please sign in again.`, 'warn');
  $('#login-error').hidden = !reason || reason === 'signed out';
}

$('#login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const err = $('#login-error');
  err.hidden = true;
  if (!form.reportValidity()) return;
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await api.login(form.login.value.trim(), form.password.value);
    if (api.role === 'player') {
      await api.logout();
      say(err, 'This console is for staff. Players sign in at the player UI.', 'error');
      err.hidden = false;
      return;
    }
    form.reset();
    signedIn();
  } catch (problem) {
    say(err, problem.plain || String(problem), 'error');
    err.hidden = false;
  } finally {
    button.disabled = false;
  }
});

$('#logout').addEventListener('click', () => { api.logout().catch(() => {}); });
window.addEventListener('hashchange', route);
