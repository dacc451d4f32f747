// Passkeys (WebAuthn): adding one on the Security page, signing in with one, and confirming who
// you are with one. The server sends the options as JSON (binary fields in base64url) and checks
// the answer; this file converts between base64url and ArrayBuffer and calls the browser.
// Each box is marked data-passkey="register|sign-in|confirm"; without this file (or without
// WebAuthn in the browser) its controls stay hidden and its note says why.
(function () {
  "use strict";

  function toBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBuffer(json.user.id) });
    options.excludeCredentials = (json.excludeCredentials || []).map(function (item) {
      return Object.assign({}, item, { id: toBuffer(item.id) });
    });
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.allowCredentials = (json.allowCredentials || []).map(function (item) {
      return Object.assign({}, item, { id: toBuffer(item.id) });
    });
    return options;
  }

  function registrationJSON(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        attestationObject: toBase64url(response.attestationObject),
        transports: response.getTransports ? response.getTransports() : []
      },
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults()
    };
  }

  function assertionJSON(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        authenticatorData: toBase64url(response.authenticatorData),
        signature: toBase64url(response.signature),
        userHandle: response.userHandle ? toBase64url(response.userHandle) : null
      },
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults()
    };
  }

  // POSTs JSON with the CSRF token; resolves with the parsed answer, rejects with its message.
  function post(box, url, body) {
    var token = box.querySelector("input[name=csrfmiddlewaretoken]");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": token ? token.value : ""
      },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          if (data.redirect) { go(data.redirect); }
          throw new Error(data.error || box.getAttribute("data-msg-failed"));
        }
        return data;
      });
    });
  }

  // Goes to the address the server named; to the same page (the Security page) by reloading,
  // since assigning an address that differs only in its #fragment would not load it again.
  function go(url) {
    var target = new URL(url || window.location.href, window.location.href);
    if (target.pathname === window.location.pathname && target.search === window.location.search) {
      if (target.hash !== window.location.hash) { window.history.replaceState(null, "", target.hash); }
      window.location.reload();
    } else {
      window.location.assign(target.href);
    }
  }

  function nextUrl(box) {
    var given = box.getAttribute("data-next");
    if (given) { return given; }
    return new URLSearchParams(window.location.search).get("next") || "";
  }

  function setup(box) {
    var ui = box.querySelector(".passkey-ui");
    var note = box.querySelector(".passkey-unsupported");
    var error = box.querySelector(".passkey-error");
    var kind = box.getAttribute("data-passkey");
    var busy = false;

    if (box.getAttribute("data-passkey-ready")) { return; }
    box.setAttribute("data-passkey-ready", "1");
    if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) { return; }
    ui.hidden = false;
    if (note) { note.hidden = true; }

    function fail(message) {
      error.textContent = message || box.getAttribute("data-msg-failed");
      error.hidden = false;
    }

    function run(event) {
      if (event) { event.preventDefault(); }
      if (busy) { return; }
      busy = true;
      error.hidden = true;
      error.textContent = "";
      var optionsUrl = box.getAttribute("data-options-url");
      var url = box.getAttribute("data-url");
      var flow;
      if (kind === "register") {
        var name = box.querySelector("input[name=name]");
        flow = post(box, optionsUrl).then(function (json) {
          return navigator.credentials.create({ publicKey: creationOptions(json) });
        }).then(function (credential) {
          return post(box, url, {
            name: name ? name.value : "",
            credential: registrationJSON(credential)
          });
        });
      } else {
        flow = post(box, optionsUrl).then(function (json) {
          return navigator.credentials.get({ publicKey: requestOptions(json) });
        }).then(function (credential) {
          return post(box, url, { credential: assertionJSON(credential), next: nextUrl(box) });
        });
      }
      flow.then(function (data) {
        go(data.redirect);
      }).catch(function (problem) {
        busy = false;
        // The browser's own errors (cancelled, timed out) are in English: show ours instead.
        fail(problem && problem.name === "Error" ? problem.message : null);
      });
    }

    if (ui.tagName === "FORM") {
      ui.addEventListener("submit", run);
    } else {
      ui.querySelector("button").addEventListener("click", run);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-passkey]").forEach(setup);
  });
})();
