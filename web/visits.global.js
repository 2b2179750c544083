/*
 * visitsd browser client: count one visit per page view and show the total.
 *
 * This file is the whole client.  Load it with a classic <script> tag (no
 * bundler, no build step) or import it through web/visits.js, the ES module
 * that re-exports what this file defines.  It defines globalThis.visitsd =
 * { countVisit }, and, when loaded by a <script> tag, fills every element
 * carrying data-visitsd-user (see docs/frontend.md):
 *
 *   <span data-visitsd-endpoint="https://api.example.com" data-visitsd-key="..."
 *         data-visitsd-user="jane" data-visitsd-dedupe="1800">…</span>
 *
 * Optional: data-visitsd-unique (show unique visitors), data-visitsd-history="30"
 * (a sparkline of the last 30 days) and data-visitsd-live (follow the count
 * over server-sent events).
 *   <script src="visits.global.js" defer></script>
 *
 * It never throws into the page: any failure shows the placeholder and logs
 * one console message with the real cause ("visitsd: 403 Forbidden").
 */
(function (global) {
  'use strict';

  // One count per page view and user, however often countVisit is called
  // (several counters on a page, React StrictMode running effects twice).
  var pending = {};

  function fail(why) {
    console.warn('visitsd: ' + why);
    return null;
  }

  function isCount(n) {
    return typeof n === 'number' && n >= 0;
  }

  // Resolves the answer's body when valid(body) holds, else null (logged).
  function request(url, method, apiKey, timeoutMs, valid) {
    var ctl = typeof AbortController === 'function' ? new AbortController() : null;
    var late = false;
    var timer = ctl && setTimeout(function () { late = true; ctl.abort(); }, timeoutMs);
    var what = ' (' + method + ' ' + url + ')';
    var timeout = function () { return fail('timeout after ' + timeoutMs + ' ms' + what); };
    return fetch(url, { method: method, headers: apiKey ? { 'x-api-key': apiKey } : {},
                        cache: 'no-store', credentials: 'omit', signal: ctl && ctl.signal })
      .then(function (res) {
        return res.json().then(null, function () { return null; }).then(function (body) {
          body = body || {};
          if (late) return timeout(); // the body did not arrive in time
          if (!res.ok) {
            return fail(res.status + ' ' + (res.statusText || body.message || '') + what);
          }
          return valid(body) ? body : fail('unexpected answer' + what);
        });
      }, function () {
        if (late) return timeout();
        return fail('network error' + what + ': API unreachable, or CORS refused ' +
                    '(is this origin in VISITSD_ALLOWED_ORIGINS?)');
      })
      .then(null, function (err) { return fail(String(err)); })
      .then(function (b) { clearTimeout(timer); return b; });
  }

  // The figure to show from a counts object: visits, or unique if asked.
  function pick(b, opts, what) {
    if (!b) return null;
    var n = opts.unique ? b.unique : b.visits;
    return isCount(n) ? n : fail('no unique count in the answer' + what);
  }

  /*
   * A sparkline of the last opts.history days (GET .../history), an inline
   * SVG polyline in currentColor appended to el: x one step per day, y the
   * day's count scaled to the busiest day.
   */
  function sparkline(el, url, opts, timeoutMs) {
    var days = Math.min(366, Math.max(1, Math.floor(opts.history)));
    return request(url + '/history?days=' + days, 'GET', opts.apiKey, timeoutMs, function (b) {
      return b.days && b.days.length > 0;
    }).then(function (b) {
      if (!b || !el) return;
      var v = [], max = 1, pts = [], i;
      for (i = 0; i < b.days.length; i++) {
        v[i] = Number((opts.unique ? b.days[i].unique : b.days[i].visits)) || 0;
        if (v[i] > max) max = v[i];
      }
      for (i = 0; i < v.length; i++) pts.push(i + ',' + Math.round(100 - 100 * v[i] / max) / 10);
      var ns = 'http://www.w3.org/2000/svg';
      var svg = document.createElementNS(ns, 'svg');
      var line = document.createElementNS(ns, 'polyline');
      var set = function (node, a) { for (var k in a) node.setAttribute(k, a[k]); };
      set(svg, { 'class': 'visitsd-sparkline', viewBox: '0 0 ' + Math.max(1, v.length - 1) + ' 10',
                 width: '4em', height: '1em', preserveAspectRatio: 'none', role: 'img',
                 'aria-label': 'last ' + v.length + ' days' });
      set(line, { points: pts.join(' '), fill: 'none', stroke: 'currentColor',
                  'stroke-width': '1.5', 'vector-effect': 'non-scaling-stroke' });
      svg.appendChild(line);
      el.appendChild(svg);
    });
  }

  // Live counts: an EventSource on .../stream (the key in the query, as
  // EventSource sends no headers); each event re-renders el.
  function live(el, url, opts) {
    if (typeof EventSource !== 'function') return;
    var src = new EventSource(url + '/stream' + (opts.apiKey ? '?key=' + encodeURIComponent(opts.apiKey) : ''));
    src.onmessage = function (e) {
      try {
        var n = pick(JSON.parse(e.data), opts, ' (stream)');
        if (n !== null) render(el, n, opts);
      } catch (x) { /* not JSON: keep what is shown */ }
    };
  }

  // Remember the time of the last counted visit in sessionStorage; a
  // reload within the window reads the count instead of incrementing it.
  function recentlyCounted(key, seconds) {
    try {
      var at = Number(sessionStorage.getItem(key));
      return seconds > 0 && at > 0 && Date.now() - at < seconds * 1000;
    } catch (e) {
      return false; // storage disabled: count every view
    }
  }

  function remember(key) {
    try {
      sessionStorage.setItem(key, String(Date.now()));
    } catch (e) { /* storage disabled or full: nothing to remember */ }
  }

  function render(el, n, opts) {
    if (!el) return;
    var spark = el.querySelector && el.querySelector('svg.visitsd-sparkline');
    var text = opts.placeholder == null ? '\u2013' : String(opts.placeholder);
    if (n !== null) {
      try {
        text = new Intl.NumberFormat(opts.locale).format(n);
      } catch (e) {
        text = String(n); // unknown locale tag
      }
    }
    el.textContent = text;
    if (spark) el.appendChild(spark);
    el.setAttribute('data-visitsd-state', n === null ? 'error' : 'ok');
  }

  /*
   * countVisit(opts) -> Promise<number|null>
   *   endpoint       base URL of visitsd ("" = this origin), no trailing path
   *   user           the counter's id (1..128 of A-Z a-z 0-9 . _ ~ -)
   *   apiKey         sent as x-api-key (omit when visitsd runs with auth none)
   *   element        Element or CSS selector to render into (optional)
   *   dedupeSeconds  reload within this many seconds reads, not counts (0)
   *   placeholder    text shown on failure ("–")
   *   locale         Intl locale for thousands separators (browser default)
   *   timeoutMs      abort a hung request after this long (5000)
   *   unique         show the unique visitors instead of the visits (false)
   *   history        days of history to draw as a sparkline after it (0: none)
   *   live           follow the count over server-sent events (false)
   * Resolves to the count shown, or null after logging one console message.
   */
  function countVisit(opts) {
    opts = opts || {};
    var el = opts.element;
    var result, url, timeoutMs;
    try {
      if (typeof el === 'string') el = document.querySelector(el);
      var base = String(opts.endpoint || '').replace(/\/+$/, '');
      var id = opts.user == null ? '' : String(opts.user);
      var key = 'visitsd:' + base + '|' + id;
      if (!id) {
        result = Promise.resolve(fail('countVisit needs a user'));
      } else if (pending[key]) {
        result = pending[key];
      } else {
        url = base + '/api/visits/' + encodeURIComponent(id);
        timeoutMs = opts.timeoutMs > 0 ? opts.timeoutMs : 5000;
        var seen = recentlyCounted(key, Number(opts.dedupeSeconds) || 0);
        result = pending[key] = request(url, seen ? 'GET' : 'POST', opts.apiKey, timeoutMs,
          function (b) { return isCount(b.visits); })
          .then(function (b) {
            if (b !== null && !seen) remember(key);
            return b;
          });
      }
    } catch (e) {
      result = Promise.resolve(fail(String(e && e.message || e)));
    }
    return result.then(function (b) {
      var n = b && typeof b === 'object' ? pick(b, opts, ' (' + url + ')') : b;
      try {
        render(el, n, opts);
        if (n !== null && opts.history > 0) sparkline(el, url, opts, timeoutMs);
        if (n !== null && opts.live) live(el, url, opts);
      } catch (e) { /* a detached or foreign element: the count still stands */ }
      return n;
    });
  }

  // data-visitsd-unique, data-visitsd-unique="true": on; absent or "false": off.
  function flag(v) {
    return v != null && v !== 'false';
  }

  // <span data-visitsd-user="..." ...> counters, for the script-tag use.
  function autoStart() {
    var els = document.querySelectorAll('[data-visitsd-user]');
    for (var i = 0; i < els.length; i++) {
      var d = els[i].dataset;
      countVisit({ endpoint: d.visitsdEndpoint, apiKey: d.visitsdKey, user: d.visitsdUser,
                   dedupeSeconds: d.visitsdDedupe, placeholder: d.visitsdPlaceholder,
                   locale: d.visitsdLocale, timeoutMs: Number(d.visitsdTimeout),
                   unique: flag(d.visitsdUnique), history: Number(d.visitsdHistory) || 0,
                   live: flag(d.visitsdLive), element: els[i] });
    }
  }

  global.visitsd = { countVisit: countVisit };

  // document.currentScript is set only while a classic <script> runs, so an
  // import through visits.js (a module) never scans the page on its own.
  if (typeof document !== 'undefined' && document.currentScript) {
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', autoStart);
    } else {
      autoStart();
    }
  }
})(globalThis);
