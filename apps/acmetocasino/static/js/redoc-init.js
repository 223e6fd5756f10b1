// ReDoc for the AcmeToCasino API (external file: works under script-src 'self').
// No web fonts are loaded: the theme uses local system font stacks only.
window.addEventListener('DOMContentLoaded', function () {
  'use strict';
  var container = document.getElementById('redoc-container');
  var sans = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';
  var mono = 'ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace';
  function fail(err) {
    container.textContent = '';
    var p = document.createElement('p');
    p.className = 'docs-noscript';
    p.textContent = 'Could not load /api/v2/openapi.json' + (err && err.message ? ': ' + err.message : '.');
    container.appendChild(p);
  }
  if (typeof Redoc === 'undefined') { fail(new Error('ReDoc bundle not loaded')); return; }
  try {
    Redoc.init('/api/v2/openapi.json', {
      scrollYOffset: '.docs-bar',
      expandResponses: '200,201',
      requiredPropsFirst: true,
      sortPropsAlphabetically: false,
      pathInMiddlePanel: false,
      hideLoading: false,
      theme: {
        colors: { primary: { main: '#9a6a00' } },
        typography: {
          fontFamily: sans,
          headings: { fontFamily: sans, fontWeight: '600' },
          code: { fontFamily: mono }
        },
        sidebar: { backgroundColor: '#f6f7f9' },
        rightPanel: { backgroundColor: '#141b2b' }
      }
    }, container, function (err) { if (err) fail(err); });
  } catch (e) {
    fail(e);
  }
});
