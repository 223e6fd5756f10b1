// 14. Responsible gaming: players' limits and pending increases, exclusions and session
// limits; markers-of-harm alerts and their interventions.

import { $, h, money, time, tag } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { STAFF, playerLink } from './common.js';

function limits(m) {
  const set = m.limits.filter((l) => l.active != null || l.pending);
  if (!set.length) return '—';
  return set.map((l) => h('div', {},
    `${l.period}: ${l.active == null ? 'none' : money(l.active, m.currency)}`,
    l.pending ? [' ', tag('pending', 'warn'), ` → ${l.pending.amount == null ? 'removed' : money(l.pending.amount, m.currency)} from ${time(l.pending.effective_at)}`] : null));
}

function exclusion(m) {
  const e = m.exclusion;
  if (!e) return '—';
  return [tag(e.kind === 'self_exclusion' ? 'self-excluded' : 'time-out', e.active ? 'bad' : ''), ` until ${e.ends_at ? time(e.ends_at) : 'permanent'}`];
}

function session(m) {
  const s = m.session_limits;
  const parts = [];
  if (s.daily_minutes) parts.push(`${s.daily_minutes} min/day`);
  if (s.daily_minutes_pending) parts.push(`(→ ${s.daily_minutes_pending.minutes ?? 'none'} from ${time(s.daily_minutes_pending.effective_at)})`);
  if (s.reality_check_minutes) parts.push(`reality check every ${s.reality_check_minutes} min`);
  if (s.reality_check_minutes_pending) parts.push(`(→ ${s.reality_check_minutes_pending.minutes ?? 'none'} from ${time(s.reality_check_minutes_pending.effective_at)})`);
  return parts.length ? parts.join(' ') : '—';
}

export default {
  id: 'rg',
  title: 'Responsible gaming',
  roles: STAFF,
  template: 'tpl-rg',
  init(ctx, root) {
    const kind = $('[data-role=kind]', root);
    this.measures = new DataTable($('[data-role=measures]', root), {
      pageSize: 20,
      empty: 'No player has a measure of this kind.',
      columns: [
        { label: 'Player', cell: (m) => playerLink(m.player_id, m.username) },
        { label: 'Jurisdiction', key: 'jurisdiction' },
        { label: 'Deposit limits', wrap: true, cell: limits },
        { label: 'Exclusion', cell: exclusion },
        { label: 'Session limits', wrap: true, cell: session },
        { label: 'Changed', cell: (m) => time(m.updated_at) },
      ],
      load: (page) => ctx.api.get('/responsible-gaming/measures', { kind: kind.value, ...page }),
    });
    kind.addEventListener('change', () => this.measures.reload({ reset: true }));
    this.harm = new DataTable($('[data-role=harm]', root), {
      pageSize: 20,
      empty: 'No markers of harm detected.',
      columns: [
        { label: 'Detected', cell: (a) => time(a.created_at) },
        { label: 'Player', cell: (a) => playerLink(a.player_id) },
        { label: 'Marker', cell: (a) => tag(a.marker, 'warn') },
        { label: 'Intervention', key: 'intervention' },
        { label: 'Details', wrap: true, cell: (a) => JSON.stringify(a.details) },
      ],
      load: async ({ limit, offset }) => ({ items: await ctx.api.get('/responsible-gaming/alerts', { limit, offset }) }),
    });
  },
  show(ctx, root, param) {
    if (param) $('[data-role=kind]', root).value = param;
    return Promise.all([this.measures.reload(), this.harm.reload()]);
  },
};
