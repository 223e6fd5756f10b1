// A data table over an API list: sortable columns (the server sorts when it can, the
// page's rows otherwise), pages of a fixed size, and loading/empty/error states.

import { h, scroller } from './dom.js';

/** The title of the section a table sits in, to name its scroller. */
function headingOf(container) {
  const section = container.closest('section');
  const heading = section && section.querySelector('h2, h1');
  return heading ? heading.textContent.trim() : 'Table';
}

/**
 * columns: [{ label, key?, sort?, num?, wrap?, cell(row) → Node|string }]
 *   `sort`: the server's sort name for the column (`created_at`, `amount`, …), or
 *   `true` to sort the loaded rows in the page by `key`.
 * load({ limit, offset, sort }) → { items, total? } (without `total`, "next" is offered
 *   while pages come back full).
 */
export class DataTable {
  constructor(container, { columns, load, pageSize = 25, sort = null, caption = '', empty = 'Nothing to show.', rowClass = null, footer = null }) {
    this.columns = columns;
    this.loader = load;
    this.pageSize = pageSize;
    this.sort = sort;
    this.localSort = null;
    this.offset = 0;
    this.empty = empty;
    this.rowClass = rowClass;
    this.footer = footer;
    this.seq = 0;
    this.rows = [];

    this.error = h('p', { class: 'notice error', role: 'alert', hidden: true });
    this.thead = h('thead');
    this.tbody = h('tbody');
    this.tfoot = h('tfoot');
    const table = h('table', { class: 'data' }, caption ? h('caption', {}, caption) : null, this.thead, this.tbody, this.tfoot);
    this.info = h('span', { 'aria-live': 'polite' });
    this.prev = h('button', { type: 'button', class: 'btn btn-ghost btn-small', text: '‹ Previous', onclick: () => this.page(-1) });
    this.next = h('button', { type: 'button', class: 'btn btn-ghost btn-small', text: 'Next ›', onclick: () => this.page(1) });
    container.replaceChildren(this.error, scroller(table, caption || headingOf(container)), h('div', { class: 'pager' }, this.prev, this.next, this.info));
    this.renderHead();
  }

  renderHead() {
    const tr = h('tr');
    for (const col of this.columns) {
      const th = h('th', { scope: 'col', class: col.num ? 'num' : null });
      if (col.sort) {
        const state = this.sortStateOf(col);
        if (state) th.setAttribute('aria-sort', state);
        th.append(h('button', { type: 'button', class: 'sort-btn', text: col.label, onclick: () => this.toggleSort(col) }));
      } else {
        th.textContent = col.label;
      }
      tr.append(th);
    }
    this.thead.replaceChildren(tr);
  }

  sortStateOf(col) {
    if (col.sort === true) {
      if (!this.localSort || this.localSort.key !== col.key) return null;
      return this.localSort.desc ? 'descending' : 'ascending';
    }
    if (!this.sort) return null;
    if (this.sort === col.sort) return 'ascending';
    if (this.sort === `-${col.sort}`) return 'descending';
    return null;
  }

  toggleSort(col) {
    if (col.sort === true) {
      const desc = this.localSort && this.localSort.key === col.key ? !this.localSort.desc : false;
      this.localSort = { key: col.key, desc };
      this.renderHead();
      this.renderRows();
      return;
    }
    this.sort = this.sort === `-${col.sort}` ? col.sort : `-${col.sort}`;
    this.offset = 0;
    this.renderHead();
    this.reload();
  }

  page(step) {
    this.offset = Math.max(0, this.offset + step * this.pageSize);
    this.reload();
  }

  /** Loads the current page again (e.g. after the filters changed: `reset`). */
  async reload({ reset = false } = {}) {
    if (reset) this.offset = 0;
    const seq = ++this.seq;
    this.error.hidden = true;
    this.tbody.setAttribute('aria-busy', 'true');
    try {
      const page = await this.loader({ limit: this.pageSize, offset: this.offset, sort: this.sort || undefined });
      if (seq !== this.seq) return;
      this.rows = page.items || [];
      this.total = typeof page.total === 'number' ? page.total : null;
      this.renderRows();
      if (this.footer) this.footer(this.tfoot, page);
    } catch (e) {
      if (seq !== this.seq) return;
      this.rows = [];
      this.total = null;
      this.renderRows();
      this.error.textContent = e.plain || String(e);
      this.error.hidden = false;
    } finally {
      if (seq === this.seq) this.tbody.removeAttribute('aria-busy');
    }
  }

  renderRows() {
    let rows = this.rows.slice();
    if (this.localSort) {
      const { key, desc } = this.localSort;
      rows.sort((a, b) => {
        const x = a[key];
        const y = b[key];
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''));
        return desc ? -c : c;
      });
    }
    const trs = rows.map((row) => {
      const tr = h('tr', { class: this.rowClass ? this.rowClass(row) : null });
      for (const col of this.columns) {
        const v = col.cell ? col.cell(row) : row[col.key];
        tr.append(h('td', { class: [col.num ? 'num' : '', col.wrap ? 'wrap-cell' : ''].join(' ').trim() || null }, v ?? '—'));
      }
      return tr;
    });
    if (!trs.length) trs.push(h('tr', { class: 'empty-row' }, h('td', { colspan: this.columns.length }, this.empty)));
    this.tbody.replaceChildren(...trs);
    const from = this.rows.length ? this.offset + 1 : 0;
    const to = this.offset + this.rows.length;
    this.info.textContent = this.total !== null ? `${from}–${to} of ${this.total}` : this.rows.length ? `${from}–${to}` : '';
    this.prev.disabled = this.offset === 0;
    this.next.disabled = this.total !== null ? to >= this.total : this.rows.length < this.pageSize;
  }
}
