/* Real-user timings and script errors, sent once per sampled page view to our own /rum/.
 *
 * No cookie is read or set and nothing identifies the visitor: the beacon holds the page type
 * (the route name the server wrote on this script's tag, the same for every visitor), a few
 * timings and at most five error messages. Nothing runs when the browser asks not to be
 * tracked (Do Not Track, Global Privacy Control) or cannot send a beacon.
 */
(function () {
  "use strict";
  var tag = document.currentScript;
  var nav = window.navigator;
  if (!tag || !nav.sendBeacon || !window.JSON) return;
  if (nav.doNotTrack === "1" || window.doNotTrack === "1" || nav.globalPrivacyControl) return;
  var page = tag.getAttribute("data-page");
  var endpoint = tag.getAttribute("data-endpoint");
  var rate = parseFloat(tag.getAttribute("data-sample-rate"));
  if (!page || !endpoint || !(Math.random() < rate)) return;

  var MAX_ERRORS = 5;
  var metrics = {};
  var errors = [];
  var sent = false;

  function round(value) {
    return Math.round(value * 10) / 10;
  }

  function observe(type, handle, options) {
    if (!window.PerformanceObserver) return;
    try {
      var observer = new PerformanceObserver(function (list) {
        list.getEntries().forEach(handle);
      });
      var settings = { type: type, buffered: true };
      for (var key in options || {}) settings[key] = options[key];
      observer.observe(settings);
    } catch (error) {
      // This browser does not know the entry type: that metric is left out.
    }
  }

  // Largest contentful paint: the last candidate before the first input wins.
  observe("largest-contentful-paint", function (entry) {
    metrics.lcp = round(entry.startTime);
  });

  // Cumulative layout shift: the largest session window (shifts less than 1 s apart, at most
  // 5 s long), leaving out shifts right after an input.
  var windowValue = 0;
  var windowFirst = 0;
  var windowLast = 0;
  metrics.cls = 0;
  observe("layout-shift", function (entry) {
    if (entry.hadRecentInput) return;
    if (windowValue && entry.startTime - windowLast < 1000 && entry.startTime - windowFirst < 5000) {
      windowValue += entry.value;
    } else {
      windowValue = entry.value;
      windowFirst = entry.startTime;
    }
    windowLast = entry.startTime;
    if (windowValue > metrics.cls) metrics.cls = Math.round(windowValue * 10000) / 10000;
  });

  // Interaction to next paint: the slowest interaction. Event timings only arrive from 40 ms
  // on; the first input always arrives, so a page with quick interactions still gets a value.
  function interaction(entry) {
    if (entry.entryType === "event" && !entry.interactionId) return;
    if (metrics.inp === undefined || entry.duration > metrics.inp) metrics.inp = entry.duration;
  }
  observe("event", interaction, { durationThreshold: 40 });
  observe("first-input", interaction);

  function source(file) {
    return String(file || "").split(/[?#]/)[0].slice(0, 300);
  }

  function addError(message, file, line, column) {
    if (errors.length >= MAX_ERRORS || !message) return;
    errors.push({
      message: String(message).slice(0, 300),
      source: source(file),
      line: line > 0 ? Math.floor(line) : 0,
      column: column > 0 ? Math.floor(column) : 0
    });
  }

  window.addEventListener("error", function (event) {
    addError(event.message, event.filename, event.lineno, event.colno);
  });
  window.addEventListener("unhandledrejection", function (event) {
    var reason = event.reason;
    addError(reason && reason.message ? reason.message : String(reason), "", 0, 0);
  });

  function navigationTimings() {
    var entry = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    if (!entry) return;
    if (entry.responseStart > 0) metrics.ttfb = round(entry.responseStart);
    if (entry.domContentLoadedEventEnd > 0) metrics.dcl = round(entry.domContentLoadedEventEnd);
    if (entry.loadEventEnd > 0) metrics.load = round(entry.loadEventEnd);
  }

  function send() {
    if (sent) return;
    sent = true;
    navigationTimings();
    var body = { page: page, metrics: metrics };
    if (errors.length) body.errors = errors;
    // A string is sent as text/plain: no preflight, and the endpoint accepts it.
    nav.sendBeacon(endpoint, JSON.stringify(body));
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") send();
  });
  // Safari does not always fire visibilitychange when a page is left.
  window.addEventListener("pagehide", send);
})();
