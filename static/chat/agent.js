// The agents' chat panel, live: the agents' WebSocket (or polling when it cannot connect),
// new messages, typing and read marks, the lists, the counts in the title and the badges, and
// an optional sound. The page works without this file: every action is a form.
(function () {
  "use strict";

  var POLL_MS = 3000;
  var SOUND_KEY = "supportal.chat.sound";
  var QUEUE_KINDS = { queued: 1, accepted: 1, transferred: 1, ended: 1 };

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("chat-panel");
    if (!panel) { return; }
    var data = panel.dataset;
    var selected = Number(data.chat || 0);
    var rendered = Number(data.after || 0);  // events up to here are already on the page
    var lastId = {};  // chat id -> last event id seen (for "watch" after a reconnect)
    var seen = {};
    var socket = null, opened = false, retry = 0, pollTimer = null, pingTimer = null;
    var lastMessage = Number(data.lastMessage || 0), readSent = 0;
    var attention = null;
    var baseTitle = document.title;
    var log = document.getElementById("chat-log");
    var typingLine = document.getElementById("chat-typing");
    var errorLine = document.getElementById("chat-error");
    var status = document.getElementById("chat-connection");
    var form = document.getElementById("chat-reply-form");
    var box = form ? form.querySelector("textarea[name=body]") : null;
    var pending = {};
    if (selected) { lastId[selected] = rendered; }

    // --- Counts, badges, sound ------------------------------------------------------------

    var audio = null;
    var soundBox = document.getElementById("chat-sound");
    function soundOn() {
      try { return window.localStorage.getItem(SOUND_KEY) === "1"; } catch (e) { return false; }
    }
    function beep() {
      if (!soundOn()) { return; }
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) { return; }
      audio = audio || new Context();
      if (audio.state === "suspended") { audio.resume(); }
      var tone = audio.createOscillator(), gain = audio.createGain(), now = audio.currentTime;
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.25);
      tone.connect(gain).connect(audio.destination);
      tone.start(now);
      tone.stop(now + 0.3);
    }
    if (soundBox) {
      soundBox.checked = soundOn();
      soundBox.addEventListener("change", function () {
        try { window.localStorage.setItem(SOUND_KEY, soundBox.checked ? "1" : "0"); } catch (e) { /* private mode */ }
        beep();  // a sample, and browsers allow audio after this click
      });
    }

    function showCount(count) {
      document.title = count > 0 ? "(" + count + ") " + baseTitle : baseTitle;
      document.querySelectorAll("[data-chat-count], [data-chat-badge]").forEach(function (badge) {
        var number = badge.querySelector("[data-count]");
        if (number) { number.textContent = String(count); }
        badge.hidden = count === 0;
      });
      if (attention !== null && count > attention) { beep(); }
      attention = count;
    }

    // --- The lists ------------------------------------------------------------------------

    var lists = document.getElementById("chat-lists");
    var listsTimer = null;
    function readLists() {
      var inner = lists && lists.querySelector("[data-attention]");
      if (!inner) { return; }
      showCount(Number(inner.dataset.attention || 0));
      lists.querySelectorAll("[data-chat-id][data-mine]").forEach(function (row) {
        var id = Number(row.dataset.chatId);
        if (!(id in lastId)) {
          lastId[id] = Number(row.dataset.lastEvent || 0);
          watch(id);
        }
      });
    }
    function refreshLists() {
      window.clearTimeout(listsTimer);
      listsTimer = window.setTimeout(function () {
        fetch(data.listsUrl + "?chat=" + selected, { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.text() : null; })
          .then(function (html) {
            if (html === null || html === lists.innerHTML) { return; }
            // Keep the focus where it was (a row's link or Accept button) across the swap.
            var focused = document.activeElement, row = null, tag = "";
            if (focused && lists.contains(focused)) {
              row = focused.closest("[data-chat-id]");
              tag = focused.tagName;
            }
            lists.innerHTML = html;
            if (row) {
              var again = lists.querySelector('[data-chat-id="' + row.dataset.chatId + '"] ' + tag.toLowerCase());
              if (again) { again.focus(); }
            }
            readLists();
          })
          .catch(function () { /* the next event or poll tries again */ });
      }, 250);
    }

    // --- The conversation -----------------------------------------------------------------

    function scrollDown() {
      var scroller = log && log.parentElement;
      if (scroller) { scroller.scrollTop = scroller.scrollHeight; }
    }
    function clock(at) {
      try {
        return new Date(at).toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
      } catch (e) { return ""; }
    }
    function append(message, at) {
      if (!log || document.getElementById("message-" + message.message)) { return; }
      var item = document.createElement("li");
      item.className = "chat-entry chat-entry-" + (message.author === "agent" ? "agent" : "visitor");
      item.id = "message-" + message.message;
      item.dataset.message = message.message;
      var meta = document.createElement("p");
      meta.className = "chat-entry-meta";
      var author = document.createElement("span");
      author.className = "chat-entry-author";
      author.textContent = message.author === "agent" ? message.name : (data.visitorName || "");
      var time = document.createElement("time");
      time.setAttribute("datetime", at);
      time.textContent = clock(at);
      meta.append(author, " ", time);
      var body = document.createElement("div");
      body.className = "chat-entry-body";
      body.textContent = message.body;
      item.append(meta, body);
      if (message.attachments && message.attachments.length) {
        var files = document.createElement("ul");
        files.className = "chat-entry-files";
        message.attachments.forEach(function (file) {
          var link = document.createElement("a");
          link.href = file.agent_url;
          link.textContent = file.name;
          var entry = document.createElement("li");
          entry.append(link);
          files.append(entry);
        });
        item.append(files);
      }
      log.append(item);
      scrollDown();
    }
    function showTyping(on) {
      if (!typingLine) { return; }
      window.clearTimeout(showTyping.timer);
      typingLine.textContent = on ? data.textTyping : "";
      if (on) { showTyping.timer = window.setTimeout(function () { typingLine.textContent = ""; }, 6000); }
    }
    function showError(text) {
      if (!errorLine) { return; }
      errorLine.textContent = text;
      errorLine.hidden = !text;
    }

    // --- Events ---------------------------------------------------------------------------

    function handle(event) {
      if (seen[event.id]) { return; }
      seen[event.id] = true;
      if (event.chat === selected && event.id <= rendered) { return; }
      lastId[event.chat] = Math.max(lastId[event.chat] || 0, event.id);
      var info = event.data || {};
      if (QUEUE_KINDS[event.kind]) {
        refreshLists();
        if (event.chat === selected && (info.state !== data.state || String(info.agent || "") !== (data.agent || ""))) {
          changed();
        }
        return;
      }
      if (event.kind === "message") {
        if (info.client && pending[info.client] !== undefined) { delete pending[info.client]; }
        if (event.chat === selected) {
          append(info, event.at);
          lastMessage = Math.max(lastMessage, info.message);
          if (info.author === "visitor") { showTyping(false); markRead(); }
        }
        if (info.author === "visitor") { refreshLists(); }
      } else if (event.kind === "typing" && event.chat === selected && info.side === "visitor") {
        showTyping(info.on);
      } else if (event.kind === "read" && info.side === "agent") {
        refreshLists();
      }
    }
    // The selected chat was taken, transferred or ended elsewhere: reload, unless the agent is
    // writing (then say so, and keep their text).
    function changed() {
      if (!box || !box.value.trim()) { window.location.reload(); return; }
      if (status) { status.textContent = data.textChanged; }
    }

    // --- The socket and the polling fallback ----------------------------------------------

    function send(frame) {
      if (socket && socket.readyState === 1) { socket.send(JSON.stringify(frame)); return true; }
      return false;
    }
    function watch(id) { send({ type: "watch", chat: id, after: lastId[id] || 0 }); }
    function markRead() {
      if (data.mine === undefined || document.hidden || lastMessage <= readSent) { return; }
      if (send({ type: "read", chat: selected, up_to: lastMessage })) { readSent = lastMessage; }
    }
    function poll() {
      if (selected) {
        fetch(data.eventsUrl + "?after=" + (lastId[selected] || 0), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (body) { if (body) { body.events.forEach(handle); } })
          .catch(function () { /* try again at the next tick */ });
      }
      refreshLists();
    }
    function startPolling() {
      if (pollTimer) { return; }
      if (status) { status.textContent = data.textOffline; }
      pollTimer = window.setInterval(poll, POLL_MS);
    }
    function stopPolling() {
      window.clearInterval(pollTimer);
      pollTimer = null;
      if (status) { status.textContent = ""; }
    }
    function connect() {
      var url = data.wsUrl || (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/chat/agent/";
      try { socket = new WebSocket(url); } catch (e) { startPolling(); return; }
      socket.addEventListener("open", function () {
        opened = true;
        retry = 0;
        stopPolling();
        Object.keys(lastId).forEach(function (id) { watch(Number(id)); });
        // Lines sent as the last socket dropped may not have arrived: send them again (the
        // server stores a line once per client id, and the replay confirms them).
        Object.keys(pending).forEach(function (client) {
          send({ type: "message", chat: pending[client].chat, body: pending[client].body, client: client });
        });
        markRead();
        pingTimer = window.setInterval(function () { send({ type: "ping" }); }, 25000);
      });
      socket.addEventListener("message", function (message) {
        var frame;
        try { frame = JSON.parse(message.data); } catch (e) { return; }
        if (frame.type === "event") {
          handle(frame.event);
        } else if (frame.type === "typing" && frame.chat === selected && frame.side === "visitor") {
          showTyping(frame.on);
        } else if (frame.type === "error" && frame.client && pending[frame.client] !== undefined) {
          if (box && !box.value) { box.value = pending[frame.client].body; }
          delete pending[frame.client];
          showError(frame.text);
        }
      });
      socket.addEventListener("close", function () {
        window.clearInterval(pingTimer);
        socket = null;
        startPolling();
        // Keep trying, less often, whether or not it ever opened (a proxy may come back).
        retry = Math.min(retry + 1, 6);
        window.setTimeout(connect, (opened ? 1000 : 5000) * retry);
      });
    }

    // --- The reply box --------------------------------------------------------------------

    if (form && box) {
      var typingOn = false, typingSent = 0, typingStop = null;
      box.addEventListener("input", function () {
        var now = Date.now();
        if (!typingOn || now - typingSent > 3000) {
          if (send({ type: "typing", chat: selected, on: true })) { typingOn = true; typingSent = now; }
        }
        window.clearTimeout(typingStop);
        typingStop = window.setTimeout(function () {
          if (typingOn) { send({ type: "typing", chat: selected, on: false }); typingOn = false; }
        }, 4000);
      });
      form.addEventListener("submit", function (event) {
        var files = form.querySelector("input[type=file]");
        var text = box.value.trim();
        if (!text || (files && files.files.length) || !socket || socket.readyState !== 1) { return; }  // the form posts
        event.preventDefault();
        var client = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
        pending[client] = { chat: selected, body: text };
        send({ type: "message", chat: selected, body: text, client: client });
        if (typingOn) { send({ type: "typing", chat: selected, on: false }); typingOn = false; }
        box.value = "";
        showError("");
        box.focus();
      });
    }
    var macroForm = document.getElementById("chat-macro");
    if (macroForm && box) {
      macroForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var choice = macroForm.querySelector("select").value;
        fetch(macroForm.dataset.macroUrl + "?macro=" + encodeURIComponent(choice), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { if (!response.ok) { throw new Error(); } return response.json(); })
          .then(function (body) {
            box.focus();
            box.setRangeText(body.text, box.selectionStart, box.selectionEnd, "end");
            box.dispatchEvent(new Event("input", { bubbles: true }));
          })
          .catch(function () { macroForm.submit(); });
      });
    }

    document.addEventListener("visibilitychange", markRead);
    scrollDown();
    readLists();
    connect();
    window.setInterval(refreshLists, 60000);  // the waiting times
  });
})();
