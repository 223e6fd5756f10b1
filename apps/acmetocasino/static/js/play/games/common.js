// What the game screens share: SVG elements, labelled controls, a short reveal.

import { h } from '../../lib/dom.js';

const NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes and children. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

let seq = 0;

/** A labelled select (`options`: [[value, text]]). */
export function select(label, name, options, value) {
  const id = `ctl-${name}-${++seq}`;
  const el = h('select', { id, name }, options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
  return { el, field: h('div', { class: 'field' }, h('label', { for: id }, label), el) };
}

/** A labelled input. */
export function input(label, name, attrs = {}, hint = '') {
  const id = `ctl-${name}-${++seq}`;
  const hintId = hint ? `${id}-hint` : null;
  const el = h('input', { id, name, 'aria-describedby': hintId, ...attrs });
  return { el, field: h('div', { class: 'field' }, h('label', { for: id }, label), el, hint ? h('span', { id: hintId, class: 'hint' }, hint) : null) };
}

/** Radio buttons in a fieldset (`options`: [[value, text]]). */
export function radios(legend, name, options, value) {
  const boxes = options.map(([v, t]) => {
    const r = h('input', { type: 'radio', name, value: v, checked: v === value });
    return { r, label: h('label', { class: 'check' }, r, ` ${t}`) };
  });
  return {
    value: () => (boxes.find((b) => b.r.checked) || boxes[0]).r.value,
    field: h('fieldset', {}, h('legend', {}, legend), boxes.map((b) => b.label)),
  };
}

/** Waits a moment so a reveal is seen (skipped when motion is reduced). */
export function reveal(ms = 600) {
  if (window.matchMedia('(prefers-reduced-motion: reduce)').matches) return Promise.resolve();
  return new Promise((r) => { setTimeout(r, ms); });
}
