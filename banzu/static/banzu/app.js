/*
 * Banzu page glue. Loaded with `defer` after htmx and Tabler and before Alpine, so the htmx
 * configuration below is in place before htmx processes the page on DOMContentLoaded.
 *
 * The site's Content-Security-Policy is script-src 'self' without 'unsafe-eval', so every
 * script lives in a static file like this one: no inline <script>, no on* attributes,
 * no hx-on, and Alpine is the CSP build.
 *
 * No business rule lives here (style.md section 7); the messages shown come from the page
 * (translated in templates/base.html), never from this file.
 */
(function () {
  "use strict";

  if (window.htmx) {
    // style.md section 7: an invalid form re-renders its partial with status 422, so 422 must
    // swap like a 200. Every other 4xx/5xx does not swap and raises htmx:responseError, which
    // shows an error toast below.
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
      { code: "...", swap: false },
    ];
    // eval-based features (hx-on, hx-vars, js: prefixes) would only trip the CSP.
    window.htmx.config.allowEval = false;
    // Use the htmx indicator styles from app.css rather than an injected <style> element.
    window.htmx.config.includeIndicatorStyles = false;
  }

  /**
   * The translated message for an HTTP status, read from the toast template's attributes:
   * data-msg-<status> when there is one, else data-msg-server (5xx) or data-msg-client (4xx);
   * data-msg-network when no response arrived at all.
   */
  function messageFor(template, status) {
    if (!status) return template.getAttribute("data-msg-network");
    var specific = template.getAttribute("data-msg-" + status);
    if (specific) return specific;
    return template.getAttribute(status >= 500 ? "data-msg-server" : "data-msg-client");
  }

  var MAX_TOASTS = 3;

  function showErrorToast(status) {
    var template = document.getElementById("error-toast-template");
    var container = document.getElementById("toast-container");
    if (!template || !container) return;
    var toast = template.content.firstElementChild.cloneNode(true);
    var body = toast.querySelector("[data-toast-body]");
    if (body) body.textContent = messageFor(template, status);
    while (container.children.length >= MAX_TOASTS) {
      container.removeChild(container.firstElementChild);
    }
    container.appendChild(toast);
    toast.addEventListener("hidden.bs.toast", function () {
      toast.remove();
    });
    var Toast = window.tabler && window.tabler.Toast;
    if (Toast) {
      // Errors stay until dismissed (ux.md: urgent notices stay; a toast that vanishes may be
      // missed by someone looking at the caller, not the screen).
      Toast.getOrCreateInstance(toast, { autohide: false }).show();
    } else {
      toast.classList.add("show");
    }
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    showErrorToast(xhr ? xhr.status : 0);
  });
  document.addEventListener("htmx:sendError", function () {
    showErrorToast(0);
  });
  document.addEventListener("htmx:timeout", function () {
    showErrorToast(0);
  });

  /**
   * Notices pushed to this employee (core.consumers.NotificationConsumer): shown as toasts that
   * stay until dismissed. The notice rows are the record; a lost connection only loses
   * immediacy, so the socket reconnects with a growing pause.
   */
  function showNotice(notice) {
    var template = document.getElementById("notice-toast-template");
    var container = document.getElementById("toast-container");
    if (!template || !container) return;
    var toast = template.content.firstElementChild.cloneNode(true);
    toast.querySelector("[data-toast-body]").textContent = notice.text || "";
    var link = toast.querySelector("[data-toast-link]");
    if (notice.link && notice.link.charAt(0) === "/") {
      link.setAttribute("href", notice.link);
    } else {
      link.remove();
    }
    if (notice.urgent) toast.classList.add("border-danger");
    while (container.children.length >= MAX_TOASTS) {
      container.removeChild(container.firstElementChild);
    }
    container.appendChild(toast);
    toast.addEventListener("hidden.bs.toast", function () {
      toast.remove();
    });
    var Toast = window.tabler && window.tabler.Toast;
    if (Toast) {
      Toast.getOrCreateInstance(toast, { autohide: false }).show();
    } else {
      toast.classList.add("show");
    }
  }

  function listenForNotices() {
    var path = document.body && document.body.getAttribute("data-push-path");
    if (!path || !window.WebSocket) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var pause = 1000;
    function connect() {
      var socket = new WebSocket(scheme + window.location.host + path);
      socket.addEventListener("open", function () {
        pause = 1000;
      });
      socket.addEventListener("message", function (event) {
        try {
          showNotice(JSON.parse(event.data));
        } catch (error) {
          // A malformed message is dropped; the notice is still in the list.
        }
      });
      socket.addEventListener("close", function (event) {
        if (event.code === 4401 || event.code === 4403) return; // logged out or not an employee
        window.setTimeout(connect, pause);
        pause = Math.min(pause * 2, 60000);
      });
    }
    connect();
  }

  document.addEventListener("DOMContentLoaded", listenForNotices);

  // After a 422 swap, move keyboard focus to the first field with an error so that keyboard
  // and screen-reader users land on what needs fixing.
  document.addEventListener("htmx:afterSwap", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr || xhr.status !== 422) return;
    var target = event.detail.target || event.target;
    var invalid = target.querySelector('[aria-invalid="true"], .is-invalid');
    if (invalid && typeof invalid.focus === "function") invalid.focus();
  });
})();
