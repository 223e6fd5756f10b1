// What the back-office tabs share: who may use what, links between tabs, filters.

import { h, shortId } from '../lib/dom.js';

export const STAFF = ['operator', 'compliance', 'admin'];
/** Roles that move money and configure games. */
export const OPERATIONS = ['operator', 'admin'];
/** Roles that decide KYC, review AML alerts and read the audit log. */
export const COMPLIANCE = ['compliance', 'admin'];
export const ADMIN = ['admin'];

export function playerLink(id, label) {
  if (!id) return '—';
  return h('a', { href: `#player/${id}`, class: 'id', title: id }, label || shortId(id));
}

export function roundLink(id) {
  if (!id) return '—';
  return h('a', { href: `#rounds/${id}`, class: 'id', title: id }, shortId(id));
}

/** A date input's day as the start of that UTC day (`from`) or of the next (`to`). */
export function dayStart(value, next = false) {
  if (!value) return undefined;
  const d = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return undefined;
  if (next) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString();
}

/** Fills every `[data-role=games]` select under `root` with the catalogue. */
export async function fillGames(api, root) {
  const games = await api.get('/gal/games');
  for (const select of root.querySelectorAll('[data-role=games]')) {
    if (select.options.length > 1) continue;
    for (const g of games) select.append(h('option', { value: g.slug }, g.name));
  }
  return games;
}

/** The filter form's values without the empty ones. */
export function filterValues(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) {
    const s = String(v).trim();
    if (s) out[k] = s;
  }
  return out;
}

/** Puts `param` (a deep link's value) into the form's `name` field, if given. */
export function applyParam(form, name, param) {
  if (param && form.elements.namedItem(name)) form.elements.namedItem(name).value = param;
}
