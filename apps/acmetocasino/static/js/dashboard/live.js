// 2. Live feed: the staff WebSocket, by channel, pausable, reconnecting.

import { $, $$, h, money, shortId } from '../lib/dom.js';
import { LiveFeed } from '../lib/feed.js';
import { STAFF, playerLink, roundLink } from './common.js';

const MAX_SHOWN = 200;
let feed = null;
let paused = false;
let held = [];

/** The interesting part of an event's payload, in words and links. */
function summary(e) {
  const p = e.payload || {};
  const parts = [h('b', {}, e.kind)];
  if (p.player_id) parts.push(' · player ', playerLink(p.player_id, p.username));
  if (p.round_id) parts.push(' · round ', roundLink(p.round_id));
  if (p.game_slug) parts.push(` · ${p.game_slug}`);
  if (typeof p.amount === 'number') parts.push(` · ${p.type ? `${p.type} ` : 'stake '}${money(p.amount, p.currency)}`);
  if (typeof p.payout === 'number') parts.push(` · payout ${money(p.payout, p.currency)}`);
  if (p.kyc_status) parts.push(` · KYC ${p.kyc_status}`);
  if (p.rule) parts.push(` · ${p.rule} (${p.risk_level})`);
  if (p.marker) parts.push(` · ${p.marker} → ${p.intervention}`);
  if (p.alert_id && !p.rule && !p.marker) parts.push(` · alert ${shortId(p.alert_id)} ${p.status || ''}`);
  return parts;
}

function row(e) {
  const at = new Date(e.at);
  const t = Number.isNaN(at.getTime()) ? '' : at.toISOString().slice(11, 19);
  return h('li', { dataset: { kind: e.kind, round: e.payload && e.payload.round_id ? e.payload.round_id : '' } },
    h('time', { datetime: e.at }, t),
    h('span', { class: 'ch' }, e.channel),
    h('span', { class: 'what' }, summary(e)));
}

function show(root, events) {
  const list = $('[data-role=feed]', root);
  for (const e of events) list.prepend(row(e));
  while (list.children.length > MAX_SHOWN) list.lastElementChild.remove();
}

function setState(root, state, detail) {
  const dot = $('[data-role=dot]', root);
  dot.className = `dot ${state === 'live' ? 'ok' : state === 'stopped' ? 'off' : 'warn'}`;
  $('[data-role=state]', root).textContent = detail ? `${state} (${detail})` : state;
}

function channels(root) {
  return $$('input[name=ch]:checked', root).map((i) => i.value);
}

export default {
  id: 'live',
  title: 'Live feed',
  roles: STAFF,
  template: 'tpl-live',
  init(ctx, root) {
    const pause = $('[data-role=pause]', root);
    const note = $('[data-role=paused-note]', root);
    pause.addEventListener('click', () => {
      paused = !paused;
      pause.setAttribute('aria-pressed', String(paused));
      pause.textContent = paused ? 'Resume' : 'Pause';
      if (!paused) {
        show(root, held);
        held = [];
        note.hidden = true;
      }
    });
    $('[data-role=clear]', root).addEventListener('click', () => $('[data-role=feed]', root).replaceChildren());
    for (const box of $$('input[name=ch]', root)) {
      box.addEventListener('change', () => {
        const chosen = channels(root);
        if (!chosen.length) {
          box.checked = true;
          return;
        }
        if (feed) feed.setChannels(chosen);
      });
    }
    feed = new LiveFeed(ctx.api, {
      channels: channels(root),
      onEvent: (e) => {
        if (paused) {
          held.push(e);
          if (held.length > MAX_SHOWN) held.shift();
          note.textContent = `Paused: ${held.length} new event(s) waiting.`;
          note.hidden = false;
        } else {
          show(root, [e]);
        }
      },
      onState: (state, detail) => setState(root, state, detail),
    });
  },
  show() {
    if (feed && feed.stopped) feed.start();
  },
  hide() {
    // The feed keeps running while other tabs are open; it stops with the session.
    if (feed && !feed.api.signedIn) {
      feed.stop();
      feed = null;
      paused = false;
      held = [];
    }
  },
};
