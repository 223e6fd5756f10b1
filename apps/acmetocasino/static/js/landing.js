// AcmeToCasino landing page: live health and stats, polled every 5 s.
// Loaded with `defer`; no inline script so a strict CSP (script-src 'self') works.
(function () {
  'use strict';

  var HEALTH_URL = '/api/v2/health';
  var STATS_URL = '/api/v2/stats';
  var INTERVAL_MS = 5000;
  var TIMEOUT_MS = 4000;
  var DASH = '\u2014';

  function $(id) { return document.getElementById(id); }

  function setText(id, value) {
    var el = $(id);
    if (el) el.textContent = value;
  }

  // Replace every class of the form `prefix-*` on el by `prefix-tone`.
  function setTone(el, prefix, tone) {
    if (!el) return;
    var keep = [];
    for (var i = 0; i < el.classList.length; i++) {
      var c = el.classList[i];
      if (c.indexOf(prefix) !== 0) keep.push(c);
    }
    el.className = keep.join(' ');
    if (tone) el.classList.add(prefix + tone);
  }

  function setDot(id, tone) {
    var el = $(id);
    if (!el) return;
    el.classList.remove('ok', 'warn', 'bad', 'off');
    if (tone) el.classList.add(tone);
  }

  function isNum(v) { return typeof v === 'number' && isFinite(v); }

  function fmtInt(v) {
    return isNum(v) ? Math.round(v).toLocaleString('en-US') : DASH;
  }

  function fmtLatency(v) {
    if (!isNum(v)) return DASH;
    return (v < 10 ? v.toFixed(1).replace(/\.0$/, '') : String(Math.round(v))) + ' ms';
  }

  function fmtUptime(s) {
    if (!isNum(s) || s < 0) return DASH;
    s = Math.floor(s);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600),
        m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) return d + 'd ' + h + 'h ' + m + 'm';
    if (h > 0) return h + 'h ' + m + 'm';
    if (m > 0) return m + 'm ' + sec + 's';
    return sec + 's';
  }

  // Tone for a component status string.
  function toneOf(status) {
    var s = String(status || '').toLowerCase();
    if (['ok', 'up', 'healthy', 'connected', 'available'].indexOf(s) >= 0) return 'ok';
    if (['disabled', 'not_configured', 'none'].indexOf(s) >= 0) return 'off';
    if (['degraded', 'slow', 'warning'].indexOf(s) >= 0) return 'warn';
    return 'bad';
  }

  // fetch with a timeout; resolves to {ok, status, body} or rejects on network error.
  function getJson(url) {
    var ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS) : null;
    return fetch(url, {
      headers: { Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'same-origin',
      signal: ctrl ? ctrl.signal : undefined
    }).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        return { ok: res.ok, status: res.status, body: body };
      });
    }).finally(function () { if (timer) clearTimeout(timer); });
  }

  function renderComponent(prefix, comp) {
    if (!comp || typeof comp !== 'object') {
      setText(prefix + '-status', 'unknown');
      setTone($(prefix + '-status'), 'v-', 'off');
      setDot(prefix + '-dot', 'off');
      setText(prefix + '-latency', DASH);
      return;
    }
    var status = comp.status != null ? String(comp.status) : 'unknown';
    var tone = toneOf(status);
    setText(prefix + '-status', status);
    setTone($(prefix + '-status'), 'v-', tone);
    setDot(prefix + '-dot', tone);
    setText(prefix + '-latency', fmtLatency(comp.latency_ms));
  }

  function renderHealth(res) {
    var panel = $('live');
    var badge = $('health-status');
    var h = res.body && typeof res.body === 'object' ? res.body : null;
    var overall;
    if (h && typeof h.status === 'string' && h.database) {
      overall = h.status;
    } else if (res.status === 503) {
      overall = 'unavailable';
    } else if (!res.ok) {
      overall = 'error ' + res.status;
    } else {
      overall = 'unknown';
    }
    var tone = overall === 'healthy' ? 'ok' : overall === 'degraded' ? 'warn' : 'bad';
    badge.textContent = overall;
    setTone(badge, 'badge-', tone);
    panel.classList.toggle('is-down', tone === 'bad');
    panel.classList.toggle('is-degraded', tone === 'warn');

    renderComponent('db', h && h.database);
    renderComponent('redis', h && h.redis);
    var version = h && h.version ? String(h.version) : DASH;
    setText('version', version);
    setText('footer-version', version);
    setText('uptime', fmtUptime(h && h.uptime_seconds));
    setText('live-note', res.ok
      ? 'Polling /api/v2/health and /api/v2/stats every 5 s.'
      : 'The platform answered HTTP ' + res.status + '; retrying every 5 s.');
  }

  function renderUnreachable() {
    var badge = $('health-status');
    badge.textContent = 'unreachable';
    setTone(badge, 'badge-', 'bad');
    $('live').classList.add('is-down');
    $('live').classList.remove('is-degraded');
    ['db', 'redis'].forEach(function (p) {
      setText(p + '-status', 'unknown');
      setTone($(p + '-status'), 'v-', 'off');
      setDot(p + '-dot', 'off');
      setText(p + '-latency', DASH);
    });
    setText('uptime', DASH);
    setText('live-note', 'Platform unreachable: /api/v2/health did not answer. Retrying every 5 s.');
  }

  function renderStats(s) {
    s = s && typeof s === 'object' ? s : {};
    setText('stat-players', fmtInt(s.players_registered));
    setText('stat-rounds', fmtInt(s.rounds_played));
    setText('stat-games', fmtInt(s.games_available));
    var rtp = s.platform_rtp;
    if (typeof rtp === 'string' && rtp.trim() !== '' && isFinite(Number(rtp))) rtp = Number(rtp);
    var unit = $('stat-rtp-unit');
    if (isNum(rtp)) {
      setText('stat-rtp', rtp.toFixed(2));
      if (unit) unit.hidden = false;
    } else {
      setText('stat-rtp', DASH);
      if (unit) unit.hidden = true;
    }
  }

  function stamp() {
    var d = new Date();
    function p(n) { return (n < 10 ? '0' : '') + n; }
    setText('last-updated', 'Updated ' + p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds()));
  }

  var timer = null;
  var inFlight = false;

  function poll() {
    if (inFlight) return;
    inFlight = true;
    var health = getJson(HEALTH_URL).then(renderHealth, function () {
      renderUnreachable();
      return 'down';
    });
    var stats = getJson(STATS_URL).then(function (res) {
      renderStats(res.ok ? res.body : null);
    }, function () { renderStats(null); });
    Promise.all([health, stats]).then(function () {
      stamp();
    }).catch(function () { /* rendering errors must not stop polling */ }).then(function () {
      inFlight = false;
      schedule();
    });
  }

  function schedule() {
    clearTimeout(timer);
    if (document.hidden) return; // resumed by visibilitychange
    timer = setTimeout(poll, INTERVAL_MS);
  }

  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && !inFlight) { clearTimeout(timer); poll(); }
  });

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', poll);
  } else {
    poll();
  }
})();
