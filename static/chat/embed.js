// Supportal's chat launcher: one script tag on a page (ours or the company's own site) adds a
// "Chat with us" button that opens the chat widget in an iframe from Supportal's origin.
//   <script src="https://support.example.com/chat/embed.js" async
//           data-email="..." data-name="..." data-signature="..."></script>
// data-signature is the hex HMAC-SHA256 of the lower-cased email with the chat's identity
// secret, computed by the company's server; without a valid one the email is not trusted.
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src*="chat/embed.js"], script[data-supportal-chat]');
  if (!script || window.__supportalChat) { return; }
  window.__supportalChat = true;
  var origin = new URL(script.src, location.href).origin;
  var languages = ["ko", "en", "ja", "zh-hans"];
  var strings = {
    ko: ["채팅 상담", "채팅 창", "이 사이트에서는 채팅을 열 수 없습니다. 고객센터에서 문의해 주십시오: "],
    en: ["Chat with us", "Chat window", "Our chat cannot open on this site. Please contact us at "],
    ja: ["チャットで相談", "チャット ウィンドウ", "このサイトではチャットを開けません。次のサポートサイトからお問い合わせください: "],
    "zh-hans": ["在线咨询", "聊天窗口", "此网站无法打开在线咨询。请通过以下支持网站联系我们："]
  };
  function pageLanguage() {
    var lang = (document.documentElement.lang || navigator.language || "en").toLowerCase();
    if (lang.indexOf("zh") === 0) { return "zh-hans"; }
    lang = lang.split("-")[0];
    return languages.indexOf(lang) >= 0 ? lang : "en";
  }
  var lang = pageLanguage();
  var words = strings[lang];
  var launcher = document.querySelector("[data-chat-launch]");
  if (!launcher) {
    launcher = document.createElement("button");
    launcher.type = "button";
    launcher.textContent = words[0];
    launcher.style.cssText = "position:fixed;right:1rem;bottom:1rem;z-index:2147483000;padding:.75rem 1rem;" +
      "border:0;border-radius:2rem;background:#0b57b5;color:#fff;font:inherit;font-weight:600;cursor:pointer;";
    document.body.appendChild(launcher);
  }
  var frame = null, wrapper = null;
  function widgetUrl() {
    var query = new URLSearchParams({ page: location.href.slice(0, 500) });
    ["email", "name", "signature"].forEach(function (name) {
      if (script.dataset[name]) { query.set(name, script.dataset[name]); }
    });
    return origin + "/" + lang + "/chat/?" + query.toString();
  }
  var allowed = null;
  function refuse() {
    // The chat's page would be refused by the browser here (frame-ancestors): say why.
    var note = document.getElementById("supportal-chat-refused");
    if (!note) {
      note = document.createElement("p");
      note.id = "supportal-chat-refused";
      note.setAttribute("role", "alert");
      note.style.cssText = "position:fixed;right:1rem;bottom:4.5rem;z-index:2147483001;max-width:20rem;margin:0;" +
        "padding:.75rem;background:#fff;color:#1b1f24;border:2px solid #b3261e;border-radius:.375rem;";
      var link = document.createElement("a");
      link.href = origin + "/" + lang + "/requests/new";
      link.textContent = origin;
      note.appendChild(document.createTextNode(words[2]));
      note.appendChild(link);
      document.body.appendChild(note);
    }
    launcher.focus();
  }
  function open(event) {
    if (event) { event.preventDefault(); }
    if (allowed === null) {
      fetch(origin + "/chat/embed-check?site=" + encodeURIComponent(location.origin))
        .then(function (r) { return r.json(); })
        .then(function (answer) { allowed = !!answer.allowed; if (allowed) { open(); } else { refuse(); } })
        .catch(function () { allowed = true; open(); });
      return;
    }
    if (!allowed) { refuse(); return; }
    if (!wrapper) {
      wrapper = document.createElement("div");
      wrapper.setAttribute("role", "dialog");
      wrapper.setAttribute("aria-label", words[1]);
      wrapper.className = "supportal-chat-frame";
      var small = window.matchMedia("(max-width: 30rem)").matches;
      wrapper.style.cssText = "position:fixed;z-index:2147483001;background:#fff;box-shadow:0 .5rem 2rem rgba(0,0,0,.3);" +
        (small ? "inset:0;" : "right:1rem;bottom:1rem;width:24rem;height:min(40rem,calc(100vh - 2rem));border-radius:.5rem;overflow:hidden;");
      frame = document.createElement("iframe");
      frame.title = words[1];
      frame.src = widgetUrl();
      frame.style.cssText = "border:0;width:100%;height:100%;";
      frame.setAttribute("allow", "clipboard-write");
      wrapper.appendChild(frame);
      document.body.appendChild(wrapper);
    }
    wrapper.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    frame.focus();
  }
  function close() {
    if (!wrapper) { return; }
    wrapper.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  launcher.setAttribute("aria-expanded", "false");
  launcher.addEventListener("click", function (event) { if (wrapper && !wrapper.hidden) { event.preventDefault(); close(); } else { open(event); } });
  window.addEventListener("message", function (event) {
    if (event.origin === origin && event.data && event.data.supportalChat === "close") { close(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && wrapper && !wrapper.hidden) { close(); }
  });
})();
