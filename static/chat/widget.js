// The chat widget (templates/chat/*.html), inside its iframe or as a page of its own.
// Live over a WebSocket; when that cannot connect (a proxy blocks it) it polls over HTTP.
(function () {
  "use strict";
  var root = document.querySelector(".chat-conversation");
  var closer = document.querySelector("[data-chat-close]");
  var framed = window.parent !== window;

  if (framed && closer) {
    closer.hidden = false;
    closer.addEventListener("click", function () { window.parent.postMessage({ supportalChat: "close" }, "*"); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { window.parent.postMessage({ supportalChat: "close" }, "*"); }
    });
  }

  // Pre-chat form: articles that may answer the first message, as it is typed.
  var start = document.querySelector(".chat-start");
  if (start) {
    var box = document.getElementById("chat-suggestions");
    var text = start.querySelector("textarea");
    var timer = null;
    if (text && box) {
      text.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var query = text.value.trim();
          if (query.length < 3) { box.textContent = ""; return; }
          var key = start.querySelector("input[name=key]");
          var url = start.dataset.suggestUrl + "?subject=" + encodeURIComponent(query.slice(0, 200)) +
            (key && key.value ? "&key=" + encodeURIComponent(key.value) : "");
          fetch(url, { credentials: "same-origin" })
            .then(function (r) { return r.ok ? r.text() : ""; })
            .then(function (html) { box.innerHTML = html; })  // our own server's escaped fragment
            .catch(function () {});
        }, 300);
      });
    }
  }
  if (!root) { return; }

  var log = document.getElementById("chat-log");
  var typingLine = document.getElementById("chat-typing");
  var statusLine = document.getElementById("chat-status");
  var errorLine = document.getElementById("chat-error");
  var form = document.querySelector(".chat-compose");
  var body = form ? form.querySelector("textarea") : null;
  var t = JSON.parse(document.getElementById("chat-strings").textContent);
  var lastId = parseInt(root.dataset.after, 10) || 0;
  var seen = {};
  var agentRead = parseInt(root.dataset.agentRead, 10) || 0;
  var socket = null, polling = null, failures = 0, pending = {};
  var resetIdle = function () {};
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function wsUrl() {
    var base = root.dataset.wsUrl;
    if (!base) { base = (location.protocol === "https:" ? "wss://" : "ws://") + location.host; }
    return base + "/ws/chat/visitor/?after=" + lastId;
  }

  function showError(text) {
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }

  function addMessage(data, eventId) {
    if (data.client) { delete pending[data.client]; }
    if (log.querySelector('[data-message="' + data.message + '"]')) { return; }
    var item = document.createElement("li");
    item.className = "chat-message chat-message-" + data.author;
    item.dataset.message = data.message;
    var who = document.createElement("p");
    who.className = "chat-author";
    who.textContent = data.author === "agent" ? data.name : t.you;
    var text = document.createElement("p");
    text.className = "chat-body-text";
    text.textContent = data.body;
    item.appendChild(who);
    item.appendChild(text);
    (data.attachments || []).forEach(function (file) {
      var p = document.createElement("p");
      p.className = "chat-file";
      var a = document.createElement("a");
      a.href = file.url;
      a.textContent = file.name;
      p.appendChild(a);
      item.appendChild(p);
    });
    if (data.author === "visitor") {
      var mark = document.createElement("p");
      mark.className = "chat-mark";
      mark.textContent = data.message <= agentRead ? t.read : t.sent;
      item.appendChild(mark);
    }
    log.appendChild(item);
    item.scrollIntoView({ block: "end", behavior: reduced ? "auto" : "smooth" });
    if (data.author === "agent") { typingLine.textContent = ""; markRead(data.message); }
  }

  function markReadUpTo(upTo) {
    agentRead = Math.max(agentRead, upTo);
    log.querySelectorAll(".chat-message-visitor").forEach(function (item) {
      var mark = item.querySelector(".chat-mark");
      if (mark && parseInt(item.dataset.message, 10) <= agentRead) { mark.textContent = t.read; }
    });
  }

  function handle(event) {
    if (seen[event.id]) { return; }
    seen[event.id] = true;
    lastId = Math.max(lastId, event.id);
    var data = event.data;
    if (event.kind === "message") { addMessage(data, event.id); resetIdle(); }
    else if (event.kind === "read" && data.side === "agent") { markReadUpTo(data.up_to); }
    else if (event.kind === "typing" && data.side === "agent") { typingLine.textContent = data.on ? t.typing : ""; }
    else if (event.kind === "accepted" || event.kind === "transferred") {
      statusLine.textContent = data.agent_name ? t.chatting.replace("%(name)s", data.agent_name) : t.transferring;
    }
    else if (event.kind === "ended") { location.reload(); }
  }

  var readTimer = null, readUpTo = 0;
  function markRead(id) {
    readUpTo = Math.max(readUpTo, id);
    if (document.hidden) { return; }
    clearTimeout(readTimer);
    readTimer = setTimeout(function () { send({ type: "read", up_to: readUpTo }, root.dataset.readUrl, { up_to: readUpTo }); }, 300);
  }
  document.addEventListener("visibilitychange", function () { if (!document.hidden && readUpTo) { markRead(readUpTo); } });

  function post(url, fields) {
    var data = new FormData();
    Object.keys(fields).forEach(function (k) { data.append(k, fields[k]); });
    return fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (j) {
          if (!r.ok) { showError(j.error || t.failed); delete pending[fields.client]; }
          return j;
        });
      });
  }

  function send(frame, url, fields) {
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify(frame)); return; }
    post(url, fields).then(function () { if (polling) { pollOnce(); } }).catch(function () { showError(t.failed); });
  }

  // Messages not yet seen back from the server: after a dropped socket nobody knows whether
  // they arrived, so they go again (the server stores a message once per client id).
  function resendPending() {
    Object.keys(pending).forEach(function (client) {
      send({ type: "message", body: pending[client], client: client }, root.dataset.sendUrl, { body: pending[client], client: client });
    });
  }

  function connect() {
    if (!("WebSocket" in window)) { startPolling(); return; }
    var opened = false;
    try { socket = new WebSocket(wsUrl()); } catch (e) { startPolling(); return; }
    socket.onopen = function () {
      opened = true; failures = 0; stopPolling(); resendPending();
      root.dataset.transport = "socket";
    };
    socket.onmessage = function (message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      if (frame.type === "event") { handle(frame.event); }
      else if (frame.type === "typing" && frame.side === "agent") { typingLine.textContent = frame.on ? t.typing : ""; }
      else if (frame.type === "error") {
        if (frame.client) { delete pending[frame.client]; }
        showError(frame.text || t.refused[frame.code] || t.failed);
      }
    };
    socket.onclose = function (event) {
      socket = null;
      if (event.code === 4403) { return; }
      failures += 1;
      // Blocked or dropped: poll meanwhile, and try the socket again (it replays what was missed).
      startPolling();
      resendPending();
      setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, failures)));
    };
  }

  function pollOnce() {
    return fetch(root.dataset.eventsUrl + "?after=" + lastId, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        (j.events || []).forEach(handle);
        if (j.queue && statusLine) {
          statusLine.textContent = t.position.replace("%(position)s", j.queue.position) + " " +
            t.wait.replace("%(minutes)s", j.queue.minutes);
        }
      })
      .catch(function () {});
  }
  function startPolling() {
    root.dataset.transport = "polling";
    if (!polling) { polling = setInterval(pollOnce, 2000); pollOnce(); }
  }
  function stopPolling() { if (polling) { clearInterval(polling); polling = null; } }

  if (form && body) {
    var typingOn = false, typingTimer = null;
    body.addEventListener("input", function () {
      if (!typingOn) { typingOn = true; send({ type: "typing", on: true }, root.dataset.typingUrl, { on: "1" }); }
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typingOn = false; send({ type: "typing", on: false }, root.dataset.typingUrl, { on: "0" }); }, 3000);
    });
    body.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", function (event) {
      var files = form.querySelector('input[type="file"]');
      if (files && files.files.length) { return; }  // files go by the normal form post
      event.preventDefault();
      var text = body.value.trim();
      if (!text) { showError(t.empty); body.focus(); return; }
      showError("");
      var client = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
      pending[client] = text;
      send({ type: "message", body: text, client: client }, root.dataset.sendUrl, { body: text, client: client });
      body.value = "";
      body.focus();
    });
  }
  // A chat ends on its own after a while without a message (ChatSettings.idle_minutes): warn
  // shortly before, and keep it open at a press of the button, as often as asked (WCAG 2.2.1).
  var idle = document.getElementById("chat-idle");
  if (idle) {
    var idleText = document.getElementById("chat-idle-text");
    var keepLine = idle.querySelector(".chat-idle-keep");
    var idleMs = parseInt(idle.dataset.idleSeconds, 10) * 1000;
    var warnMs = parseInt(idle.dataset.warnSeconds, 10) * 1000;
    var endsAt = Date.now() + parseInt(idle.dataset.idleLeft, 10) * 1000;
    var idleTimer = null;
    var warnNow = function () { idleText.textContent = idle.dataset.text; keepLine.hidden = false; };
    var schedule = function () {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(warnNow, Math.max(0, endsAt - warnMs - Date.now()));
    };
    resetIdle = function () {
      endsAt = Date.now() + idleMs;
      var focused = keepLine.contains(document.activeElement);
      idleText.textContent = "";
      keepLine.hidden = true;
      if (focused && body) { body.focus(); }
      schedule();
    };
    keepLine.querySelector("button").addEventListener("click", function () {
      post(idle.dataset.keepUrl, {}).then(resetIdle).catch(function () { showError(t.failed); });
    });
    schedule();
  }
  if (root.dataset.state !== "ended") { connect(); }
  log.querySelectorAll(".chat-message-agent").forEach(function (item) { markRead(parseInt(item.dataset.message, 10)); });
})();

// Inside another page's iframe, Tab stays in the chat window until it is closed (Escape or the
// close button), and focus then returns to the launcher (embed.js).
(function () {
  "use strict";
  if (window.parent === window) { return; }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") { return; }
    var items = Array.prototype.filter.call(
      document.querySelectorAll("a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select, textarea, [tabindex]:not([tabindex='-1'])"),
      function (el) { return el.offsetParent !== null; });
    if (!items.length) { return; }
    var first = items[0], last = items[items.length - 1];
    if (event.shiftKey && (document.activeElement === first || !document.hasFocus())) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
  });
  window.addEventListener("focus", function () {
    if (document.activeElement === document.body) {
      var target = document.querySelector("textarea, input:not([type=hidden]), button");
      if (target) { target.focus(); }
    }
  });
})();
