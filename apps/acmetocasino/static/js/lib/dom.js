// Small DOM and formatting helpers shared by the pages: templates, safe text, money
// in minor units, times, and form errors from problem documents.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** A copy of `<template id=…>`'s content. */
export function fromTemplate(id) {
  const t = document.getElementById(id);
  if (!t) throw new Error(`no template #${id}`);
  return t.content.cloneNode(true);
}

/** An element with attributes and children (strings become text, never HTML). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A table in a horizontal scroller that keyboards can reach (phones scroll wide tables). */
export function scroller(table, label) {
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': label || 'Table' }, table);
}

/** Sets the text of every `[data-field=name]` under `root` that `data` has a value for
 * (`a.b` reads `data.a.b`; an empty value shows as a dash). */
export function fill(root, data) {
  for (const el of $$('[data-field]', root)) {
    const path = el.dataset.field.split('.');
    if (!(path[0] in data)) continue;
    const v = path.reduce((o, k) => (o == null ? o : o[k]), data);
    el.textContent = v === undefined || v === null || v === '' ? '—' : String(v);
  }
}

const DASH = '—';
const digitsCache = new Map();

/** Minor-unit digits of an ISO 4217 currency (2 for EUR, 0 for JPY). */
export function currencyDigits(currency) {
  if (!digitsCache.has(currency)) {
    let d = 2;
    try { d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits; } catch { d = 2; }
    digitsCache.set(currency, d);
  }
  return digitsCache.get(currency);
}

/** `1050, 'EUR'` → `€10.50`; money stays an integer until it is shown. */
export function money(minor, currency) {
  if (typeof minor !== 'number' || !Number.isFinite(minor)) return DASH;
  if (!currency) return int(minor);
  const d = currencyDigits(currency);
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency, minimumFractionDigits: d, maximumFractionDigits: d })
      .format(minor / 10 ** d);
  } catch {
    return `${(minor / 10 ** d).toFixed(d)} ${currency}`;
  }
}

/** Minor units without a currency sign (`1050` → `10.50`), for stakes that any currency may have. */
export function amount(minor, currency) {
  if (typeof minor !== 'number' || !Number.isFinite(minor)) return DASH;
  const d = currency ? currencyDigits(currency) : 2;
  return new Intl.NumberFormat('en', { minimumFractionDigits: d, maximumFractionDigits: d }).format(minor / 10 ** d);
}

/** Minor units as a plain decimal (`1050` → `10.50`), for axes and inputs. */
export function major(minor, currency) {
  const d = currency ? currencyDigits(currency) : 2;
  return Number((minor / 10 ** d).toFixed(d));
}

/** Parses what a person typed (`12.5`, `12.50`, `12`) into minor units, exactly. */
export function toMinor(text, currency) {
  const d = currency ? currencyDigits(currency) : 2;
  const t = String(text).trim().replace(/,/g, '');
  const m = /^(\d+)(?:\.(\d*))?$/.exec(t);
  if (!m) return null;
  const frac = (m[2] || '');
  if (frac.length > d) return null;
  const units = BigInt(m[1]) * 10n ** BigInt(d) + BigInt((frac + '0'.repeat(d)).slice(0, d) || '0');
  return units > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(units);
}

export function int(v) {
  return typeof v === 'number' && Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : DASH;
}

export function pct(v, digits = 2) {
  return typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(digits)} %` : DASH;
}

export function time(iso) {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return DASH;
  return d.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'UTC' }) + ' UTC';
}

export function shortId(id) {
  return id ? String(id).slice(0, 8) : DASH;
}

/** `'1h 02m 05s'` for a number of seconds. */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}h ${mm}m ${ss}s` : `${mm}m ${ss}s`;
}

/** A message in a notice element (`kind`: error, ok, warn, or '' for plain). */
export function say(el, text, kind = '') {
  if (!el) return;
  el.className = `notice ${kind}`.trim();
  el.textContent = text || '';
}

/** Clears a form's field errors, then marks the fields a problem names. */
export function showFieldErrors(form, problem) {
  for (const f of $$('.field', form)) {
    f.classList.remove('invalid');
    const err = $('.field-error', f);
    if (err) err.textContent = '';
    const input = $('input, select, textarea', f);
    if (input) input.removeAttribute('aria-invalid');
  }
  if (!problem || !problem.errors) return;
  for (const e of problem.errors) {
    const name = String(e.field).split('.').pop();
    const input = form.elements.namedItem(name);
    const field = input && input.closest ? input.closest('.field') : null;
    if (!field) continue;
    field.classList.add('invalid');
    input.setAttribute('aria-invalid', 'true');
    const err = $('.field-error', field);
    if (err) err.textContent = problem.fieldMessage(name);
  }
}

/** The form's values as an object of trimmed strings (empty ones left out). */
export function formValues(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) {
    const s = String(v).trim();
    if (s !== '') out[k] = s;
  }
  return out;
}

/** A status word as a coloured tag. */
export function tag(text, tone = '') {
  return h('span', { class: `tag ${tone}`.trim() }, text ?? DASH);
}

/** The tone of a status word. */
export function toneOf(status) {
  const s = String(status || '').toLowerCase();
  if (['active', 'approved', 'settled', 'up', 'healthy', 'connected', 'open', 'dismissed', 'low'].includes(s)) return 'ok';
  if (['pending', 'medium', 'escalated', 'degraded', 'disabled', 'closed', 'suspended'].includes(s)) return 'warn';
  if (['rejected', 'rolled_back', 'down', 'error', 'high', 'critical', 'self_excluded', 'sar_filed', 'out_of_band'].includes(s)) return 'bad';
  return '';
}
