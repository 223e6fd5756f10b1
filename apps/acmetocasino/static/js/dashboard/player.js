// 4. Player 360: one player's profile, balances, wallet events, sessions and rounds,
// limits and exclusions, KYC record, AML and harm alerts, and audit entries.

import { $, h, fill, money, time, tag, toneOf, int, say } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { STAFF, COMPLIANCE, roundLink } from './common.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

let playerId = null;
let currency = null;

function list(container, rows, empty) {
  container.replaceChildren(rows.length ? h('ul', {}, rows.map((r) => h('li', {}, r))) : h('p', { class: 'muted' }, empty));
}

function limitRows(limits) {
  return limits.map((l) => {
    const parts = [`${l.period}: `, l.active == null ? 'no limit' : money(l.active, currency)];
    if (l.active != null || l.jurisdiction_max != null) parts.push(` (used ${money(l.used, currency)}${l.remaining != null ? `, ${money(l.remaining, currency)} left` : ''})`);
    if (l.pending) parts.push(' — ', tag('pending', 'warn'), ` ${l.pending.amount == null ? 'removal' : money(l.pending.amount, currency)} from ${time(l.pending.effective_at)}`);
    return parts;
  });
}

async function open(ctx, root, id) {
  const err = $('[data-role=error]', root);
  const body = $('[data-role=body]', root);
  err.hidden = true;
  const api = ctx.api;
  let p;
  try {
    p = await api.get(`/pam/players/${id}`);
  } catch (e) {
    body.hidden = true;
    say(err, e.plain, 'error');
    err.hidden = false;
    return;
  }
  playerId = p.id;
  currency = p.currency;
  $('[data-role=open]', root).who.value = p.username;
  const [b, rg, kyc] = await Promise.all([
    api.get(`/wallet/${id}/balance`),
    api.get(`/responsible-gaming/status/${id}`),
    api.get(`/compliance/kyc/${id}`),
  ]);
  const sl = rg.session_limits;
  fill(root, {
    p,
    b,
    rg,
    registered: time(p.created_at),
    cash: money(b.cash, b.currency),
    bonus: money(b.bonus, b.currency),
    total: money(b.total, b.currency),
    exclusion: rg.exclusion ? `${rg.exclusion.kind}${rg.exclusion.active ? ' (active)' : ' (ended)'} until ${rg.exclusion.ends_at ? time(rg.exclusion.ends_at) : 'permanent'}` : 'none',
    session_limit: sl.daily_minutes ? `${sl.daily_minutes} min a day` : 'none',
    reality_check: sl.reality_check_minutes ? `every ${sl.reality_check_minutes} min` : 'none',
    played_today: `${int(rg.session_minutes_today)} min`,
    net24: money(rg.net_position_24h, currency),
  });
  list($('[data-role=limits]', root), limitRows(rg.limits), 'No deposit limits.');
  list($('[data-role=kyc]', root), kyc.history.map((k) => [
    tag(k.status, toneOf(k.status)), ` ${k.document_type} ${k.document_number} (${k.issuing_country}), ${k.full_name}, submitted ${time(k.submitted_at)}`,
    k.reason ? ` — ${k.reason}` : '',
  ]), `KYC status: ${kyc.kyc_status}; no submission yet.`);
  list($('[data-role=harm]', root), rg.harm_alerts.map((a) => [tag(a.marker, 'warn'), ` → ${a.intervention}, ${time(a.created_at)}`]), 'No markers of harm in 30 days.');
  $('[data-role=verify-result]', root).hidden = true;
  body.hidden = false;
  await Promise.all([
    root.tables.events.reload({ reset: true }),
    root.tables.sessions.reload({ reset: true }),
    root.tables.rounds.reload({ reset: true }),
    root.tables.aml.reload({ reset: true }),
    ctx.can(COMPLIANCE) ? root.tables.audit.reload({ reset: true }) : null,
  ]);
}

export default {
  id: 'player',
  title: 'Player 360',
  roles: STAFF,
  template: 'tpl-player',
  init(ctx, root) {
    const api = ctx.api;
    const form = $('[data-role=open]', root);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const who = form.who.value.trim();
      if (UUID.test(who)) {
        ctx.go(`#player/${who}`);
        return;
      }
      try {
        const found = await api.get('/pam/players', { q: who, limit: 20 });
        const match = found.items.find((p) => p.username === who.toLowerCase()) || found.items[0];
        if (match) ctx.go(`#player/${match.id}`);
        else { say($('[data-role=error]', root), `No player matches "${who}".`, 'warn'); $('[data-role=error]', root).hidden = false; }
      } catch (err) {
        say($('[data-role=error]', root), err.plain, 'error');
        $('[data-role=error]', root).hidden = false;
      }
    });
    $('[data-role=verify]', root).addEventListener('click', async () => {
      const out = $('[data-role=verify-result]', root);
      try {
        const v = await api.get(`/wallet/${playerId}/verify`);
        say(out, v.consistent
          ? `Consistent: ${v.events} events fold to cash ${money(v.folded_cash, currency)}, bonus ${money(v.folded_bonus, currency)}, as projected.`
          : `Inconsistent: ${v.problem || 'the fold differs from the projection'}.`, v.consistent ? 'ok' : 'error');
      } catch (e) {
        say(out, e.plain, 'error');
      }
      out.hidden = false;
    });
    $('[data-role=audit-card]', root).hidden = !ctx.can(COMPLIANCE);
    const m = (v) => money(v, currency);
    root.tables = {
      events: new DataTable($('[data-role=events]', root), {
        pageSize: 10, sort: '-created_at', empty: 'No wallet events.',
        columns: [
          { label: 'Seq', key: 'seq', num: true },
          { label: 'Type', cell: (e) => tag(e.type) },
          { label: 'Amount', sort: 'amount', num: true, cell: (e) => m(e.amount) },
          { label: 'Cash after', num: true, cell: (e) => m(e.cash_balance_after) },
          { label: 'Reference', cell: (e) => e.reference || '—' },
          { label: 'When', sort: 'created_at', cell: (e) => time(e.created_at) },
        ],
        load: (page) => api.get('/wallet/events', { player_id: playerId, ...page }),
      }),
      sessions: new DataTable($('[data-role=sessions]', root), {
        pageSize: 10, sort: '-started_at', empty: 'No game sessions.',
        columns: [
          { label: 'Game', key: 'game_slug' },
          { label: 'Status', cell: (s) => tag(s.status, toneOf(s.status)) },
          { label: 'Rounds', key: 'rounds', num: true },
          { label: 'Net', num: true, cell: (s) => h('span', { class: s.net >= 0 ? 'pos' : 'neg' }, m(s.net)) },
          { label: 'Started', sort: 'started_at', cell: (s) => time(s.started_at) },
        ],
        load: (page) => api.get('/gal/sessions', { player_id: playerId, ...page }),
      }),
      rounds: new DataTable($('[data-role=rounds]', root), {
        pageSize: 10, sort: '-created_at', empty: 'No rounds.',
        columns: [
          { label: 'Round', cell: (r) => roundLink(r.id) },
          { label: 'Game', key: 'game_slug' },
          { label: 'Stake', sort: 'amount', num: true, cell: (r) => m(r.amount) },
          { label: 'Payout', sort: 'payout', num: true, cell: (r) => m(r.payout) },
          { label: 'When', sort: 'created_at', cell: (r) => time(r.created_at) },
        ],
        load: (page) => api.get('/gal/rounds', { player_id: playerId, ...page }),
      }),
      aml: new DataTable($('[data-role=aml]', root), {
        pageSize: 10, sort: '-created_at', empty: 'No AML alerts.',
        columns: [
          { label: 'Rule', key: 'rule' },
          { label: 'Risk', sort: 'risk_score', cell: (a) => tag(`${a.risk_level} ${a.risk_score}`, toneOf(a.risk_level)) },
          { label: 'Status', cell: (a) => tag(a.status, toneOf(a.status)) },
          { label: 'Raised', sort: 'created_at', cell: (a) => time(a.created_at) },
        ],
        load: async (page) => ({ items: await api.get('/compliance/aml/alerts', { player_id: playerId, status: undefined, ...page }) }),
      }),
      audit: new DataTable($('[data-role=audit]', root), {
        pageSize: 10, empty: 'No audit entries name this player.',
        columns: [
          { label: 'When', cell: (a) => time(a.at) },
          { label: 'Action', key: 'action' },
          { label: 'By', cell: (a) => h('span', { class: 'id', title: a.actor }, a.actor.slice(0, 8)) },
          { label: 'Change', wrap: true, cell: (a) => `${JSON.stringify(a.before ?? {})} → ${JSON.stringify(a.after ?? {})}` },
        ],
        load: async ({ limit, offset }) => ({ items: await api.get('/audit-log', { target: `player:${playerId}`, limit, offset }) }),
      }),
    };
  },
  async show(ctx, root, param) {
    if (param) await open(ctx, root, param);
    else if (!playerId) $('[data-role=body]', root).hidden = true;
  },
};
