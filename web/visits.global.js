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

  function request(url, method, apiKey, timeoutMs) {
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
          var n = body.visits;
          return typeof n === 'number' && n >= 0 ? n : fail('unexpected answer' + what);
        });
      }, function () {
        if (late) return timeout();
        return fail('network error' + what + ': API unreachable, or CORS refused ' +
                    '(is this origin in VISITSD_ALLOWED_ORIGINS?)');
      })
      .then(null, function (err) { return fail(String(err)); })
      .then(function (n) { clearTimeout(timer); return n; });
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
    var text = opts.placeholder == null ? '\u2013' : String(opts.placeholder);
    if (n !== null) {
      try {
        text = new Intl.NumberFormat(opts.locale).format(n);
      } catch (e) {
        text = String(n); // unknown locale tag
      }
    }
    el.textContent = text;
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
   * Resolves to the count, or null after logging one console message.
   */
  function countVisit(opts) {
    opts = opts || {};
    var el = opts.element;
    var result;
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
        var url = base + '/api/visits/' + encodeURIComponent(id);
        var timeoutMs = opts.timeoutMs > 0 ? opts.timeoutMs : 5000;
        var seen = recentlyCounted(key, Number(opts.dedupeSeconds) || 0);
        result = pending[key] = request(url, seen ? 'GET' : 'POST', opts.apiKey, timeoutMs)
          .then(function (n) {
            if (n !== null && !seen) remember(key);
            return n;
          });
      }
    } catch (e) {
      result = Promise.resolve(fail(String(e && e.message || e)));
    }
    return result.then(function (n) {
      try {
        render(el, n, opts);
      } catch (e) { /* a detached or foreign element: the count still stands */ }
      return n;
    });
  }

  // <span data-visitsd-user="..." ...> counters, for the script-tag use.
  function autoStart() {
    var els = document.querySelectorAll('[data-visitsd-user]');
    for (var i = 0; i < els.length; i++) {
      var d = els[i].dataset;
      countVisit({ endpoint: d.visitsdEndpoint, apiKey: d.visitsdKey, user: d.visitsdUser,
                   dedupeSeconds: d.visitsdDedupe, placeholder: d.visitsdPlaceholder,
                   locale: d.visitsdLocale, timeoutMs: Number(d.visitsdTimeout),
                   element: els[i] });
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
