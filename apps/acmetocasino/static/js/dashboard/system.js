// 17. System and staff: health (database, Redis, latency, uptime, version), this
// instance's request metrics, and (admins) the staff accounts: list and create.

import { $, fill, int, duration, time, tag, toneOf, say, showFieldErrors, formValues } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';
import { STAFF, ADMIN } from './common.js';

const ms = (v) => (typeof v === 'number' ? `${v < 10 ? v.toFixed(2) : Math.round(v)} ms` : '—');

async function health(ctx, root) {
  const err = $('[data-role=error]', root);
  err.hidden = true;
  try {
    // 503 still carries the health document: read it either way.
    const res = await fetch('/api/v2/health', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const hdoc = await res.json();
    fill(root, {
      status: hdoc.status,
      db: `${hdoc.database.status} · ${hdoc.database.backend} · ${ms(hdoc.database.latency_ms)}`,
      redis: `${hdoc.redis.status}${hdoc.redis.latency_ms != null ? ` · ${ms(hdoc.redis.latency_ms)}` : ''}`,
      uptime: duration(hdoc.uptime_seconds),
      version: hdoc.version,
    });
  } catch {
    say(err, 'The platform cannot be reached. Check the connection and try again.', 'error');
    err.hidden = false;
  }
}

export default {
  id: 'system',
  title: 'System and staff',
  roles: STAFF,
  template: 'tpl-system',
  init(ctx, root) {
    this.routes = new DataTable($('[data-role=routes]', root), {
      pageSize: 15,
      caption: 'Since this instance started. p95 is the upper bound of the latency bucket that holds it.',
      columns: [
        { label: 'Method', key: 'method', sort: true },
        { label: 'Route', key: 'route', sort: true },
        { label: 'Requests', key: 'requests', sort: true, num: true, cell: (r) => int(r.requests) },
        { label: '4xx', key: 'client_errors', sort: true, num: true, cell: (r) => int(r.client_errors) },
        { label: '5xx', key: 'server_errors', sort: true, num: true, cell: (r) => int(r.server_errors) },
        { label: 'Mean', key: 'mean_ms', sort: true, num: true, cell: (r) => ms(r.mean_ms) },
        { label: 'p95 ≤', key: 'p95_ms', sort: true, num: true, cell: (r) => ms(r.p95_ms) },
      ],
      load: async ({ limit, offset }) => {
        const m = await ctx.api.get('/back-office/request-metrics');
        fill(root, { requests: int(m.requests), errors: `${int(m.client_errors)} / ${int(m.server_errors)}` });
        return { items: m.routes.slice(offset, offset + limit), total: m.routes.length };
      },
    });
    const staffCard = $('[data-role=staff-card]', root);
    staffCard.hidden = !ctx.can(ADMIN);
    if (!ctx.can(ADMIN)) return;
    this.staff = new DataTable($('[data-role=staff]', root), {
      pageSize: 20,
      columns: [
        { label: 'Username', key: 'username' },
        { label: 'E-mail', key: 'email' },
        { label: 'Role', cell: (s) => tag(s.role) },
        { label: 'Status', cell: (s) => tag(s.status, toneOf(s.status)) },
        { label: 'Created', cell: (s) => time(s.created_at) },
      ],
      load: (page) => ctx.api.get('/staff', page),
    });
    const form = $('[data-role=create]', root);
    const out = $('[data-role=create-result]', root);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      out.hidden = true;
      showFieldErrors(form, null);
      try {
        const s = await ctx.api.post('/staff', formValues(form));
        say(out, `Created ${s.role} ${s.username}.`, 'ok');
        form.reset();
        this.staff.reload({ reset: true });
      } catch (err) {
        showFieldErrors(form, err);
        say(out, err.plain, 'error');
      }
      out.hidden = false;
    });
  },
  show(ctx, root) {
    return Promise.all([health(ctx, root), this.routes.reload(), this.staff && ctx.can(ADMIN) ? this.staff.reload() : null]);
  },
};
