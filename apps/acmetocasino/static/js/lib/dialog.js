// A modal confirmation (`<dialog>`): a title, what will happen, optionally a reason the
// person must give, and explicit confirm/cancel buttons. Focus returns where it was.

import { h } from './dom.js';

/**
 * Resolves with `{ reason, values }` when confirmed, `null` when cancelled.
 * `fields`: extra inputs `[{ name, label, type: 'text'|'select'|'number', options, required, value }]`.
 */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', cancelLabel = 'Cancel', danger = false, reason = null, fields = [] }) {
  return new Promise((resolve) => {
    const back = document.activeElement;
    const id = `dlg-${Math.random().toString(36).slice(2, 9)}`;
    const inputs = [];
    const rows = [];
    const addField = (f) => {
      const inputId = `${id}-${f.name}`;
      let input;
      if (f.type === 'select') {
        input = h('select', { id: inputId, name: f.name, required: f.required },
          f.options.map(([v, t]) => h('option', { value: v, selected: v === f.value }, t)));
      } else if (f.type === 'textarea') {
        input = h('textarea', { id: inputId, name: f.name, required: f.required, maxlength: f.maxlength || 500 }, f.value || '');
      } else {
        input = h('input', { id: inputId, name: f.name, type: f.type || 'text', required: f.required, value: f.value ?? '', step: f.step, min: f.min, max: f.max, inputmode: f.inputmode });
      }
      inputs.push(input);
      rows.push(h('div', { class: 'field' }, h('label', { for: inputId }, f.label), input, f.hint ? h('span', { class: 'hint' }, f.hint) : null));
    };
    fields.forEach(addField);
    if (reason) addField({ name: 'reason', label: reason.label || 'Reason', type: 'textarea', required: reason.required !== false, maxlength: reason.max || 500 });
    const cancel = h('button', { type: 'button', class: 'btn btn-ghost', text: cancelLabel });
    const ok = h('button', { type: 'submit', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, text: confirmLabel });
    const form = h('form', { method: 'dialog' },
      h('h2', { id: `${id}-title` }, title),
      message ? h('p', { id: `${id}-desc`, class: 'muted' }, message) : null,
      rows,
      h('div', { class: 'actions' }, cancel, ok));
    const dlg = h('dialog', { 'aria-labelledby': `${id}-title`, 'aria-describedby': message ? `${id}-desc` : null }, form);
    document.body.append(dlg);
    let result = null;
    cancel.addEventListener('click', () => dlg.close());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!form.reportValidity()) return;
      const values = Object.fromEntries(inputs.map((i) => [i.name, i.value.trim()]));
      result = { reason: values.reason, values };
      dlg.close();
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      if (back && back.focus) back.focus();
      resolve(result);
    });
    dlg.showModal();
    (inputs[0] || ok).focus();
  });
}
