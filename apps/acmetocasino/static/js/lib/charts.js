// Charts with the vendored Chart.js (window.Chart, from /static/vendor/chartjs): themed
// from the CSS custom properties, always with axis titles and units, no animation, and
// the numbers also in a table under each chart for screen readers.

import { h, scroller } from './dom.js';

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export const palette = () => ({
  gold: css('--gold') || '#f5b942',
  green: css('--green') || '#34d399',
  red: css('--red') || '#f87171',
  blue: css('--blue') || '#60a5fa',
  violet: css('--violet') || '#a78bfa',
  text: css('--text-2') || '#b4bfd2',
  grid: css('--line-soft') || '#1c273b',
});

/** Destroys the chart on `canvas`, if any (before drawing a new one). */
function reset(canvas) {
  const old = window.Chart && window.Chart.getChart(canvas);
  if (old) old.destroy();
}

function axis(title, p, extra = {}) {
  return {
    title: { display: true, text: title, color: p.text },
    ticks: { color: p.text, maxRotation: 0, autoSkip: true },
    grid: { color: p.grid },
    ...extra,
  };
}

/**
 * Draws a chart. `spec`: { type: 'bar'|'line', labels, datasets: [{label, data, color,
 * type?}], x, y (axis titles with units), stacked?, yBeginAtZero? }. Returns the Chart.
 */
export function draw(canvas, spec) {
  if (!window.Chart) throw new Error('Chart.js is not loaded');
  reset(canvas);
  const p = palette();
  const datasets = spec.datasets.map((d) => ({
    type: d.type,
    label: d.label,
    data: d.data,
    backgroundColor: d.fill || d.color,
    borderColor: d.color,
    borderWidth: d.borderWidth ?? (spec.type === 'line' || d.type === 'line' ? 2 : 1),
    pointRadius: d.pointRadius ?? (spec.type === 'line' ? 2 : 4),
    pointStyle: d.pointStyle,
    showLine: d.showLine,
    tension: 0.2,
    order: d.order,
  }));
  return new window.Chart(canvas, {
    type: spec.type,
    data: { labels: spec.labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { labels: { color: p.text } },
        tooltip: { callbacks: spec.tooltip ? { label: spec.tooltip } : {} },
      },
      scales: {
        x: axis(spec.x, p, { stacked: !!spec.stacked }),
        y: axis(spec.y, p, { stacked: !!spec.stacked, beginAtZero: spec.yBeginAtZero !== false, suggestedMin: spec.yMin, suggestedMax: spec.yMax }),
      },
    },
  });
}

/** The chart's numbers as a table in a closed `<details>` below it. */
export function dataTable(container, caption, headers, rows) {
  const table = h('table', { class: 'data' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
  container.replaceChildren(h('details', { class: 'chart-data' }, h('summary', {}, 'Show the numbers'), scroller(table, caption)));
}
