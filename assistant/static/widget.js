/*!
 * Neighbourhood Assistant chat widget: the <nbhd-chat> custom element.
 *
 *   <script src="https://ASSISTANT/widget.js" data-api="https://ASSISTANT" async></script>
 *
 * One script tag mounts <nbhd-chat> (unless the page already has one). Attributes, on the
 * element or the script tag: data-api (API origin; default: where this script came from),
 * data-mode="page" (full-page chat, no launcher), data-title, data-api-key (sent as a
 * bearer token; only for pages that are themselves access-controlled).
 *
 * Design rules: open shadow DOM; styles are constructable stylesheets (works under a
 * strict host CSP without 'unsafe-inline'); everything from the network is rendered
 * with text nodes only (no HTML parsing of data); answers stream over fetch + ReadableStream (SSE);
 * conversation id and transcript live in sessionStorage; WCAG 2.2 AA: real buttons,
 * labelled controls, Escape closes and returns focus, no focus traps, one role=status
 * announcement per finished answer, visible focus, 24px targets, reflow at 320px.
 *
 * Thumb icons: Material Icons paths (Apache License 2.0).
 */
(function () {
  "use strict";

  if (!window.customElements || window.customElements.get("nbhd-chat")) return;

  var SCRIPT = document.currentScript ||
    (function () {
      var all = document.querySelectorAll("script[src]");
      for (var i = all.length - 1; i >= 0; i--) {
        if (/\/widget\.js(\?|#|$)/.test(all[i].src)) return all[i];
      }
      return null;
    })();
  var SCRIPT_API = "";
  if (SCRIPT) {
    try {
      SCRIPT_API = SCRIPT.getAttribute("data-api") || new URL(SCRIPT.src, location.href).origin;
    } catch (e) {
      SCRIPT_API = "";
    }
  }

  var TITLE = "Neighbourhood Assistant";
  var STORE_VERSION = "v1";
  var MAX_STORED = 60;
  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    up: "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
    down: "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z",
    chat: "M20 2H4c-1.1 0-2 .9-2 2v18l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2zm0 14H5.17L4 17.17V4h16v12z"
  };
  var STATUS_TEXT = {
    composing: "Finding and checking sources…"
  };

  var CSS = [
    ":host{all:initial;display:block;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;",
    "font-size:16px;line-height:1.5;color:#1a1a1a;--nb-accent:#1d4ed8;--nb-accent-dark:#1e3a8a;}",
    "*,*::before,*::after{box-sizing:border-box;}",
    "[hidden]{display:none !important;}",
    ".sr-only{position:absolute !important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;",
    "clip:rect(0 0 0 0);white-space:nowrap;border:0;}",
    "button,textarea,input{font:inherit;color:inherit;}",
    "button{cursor:pointer;min-height:24px;min-width:24px;}",
    ":focus-visible{outline:3px solid var(--nb-accent);outline-offset:2px;}",
    "a{color:var(--nb-accent);text-decoration:underline;}",
    "a:hover{color:var(--nb-accent-dark);}",
    /* launcher */
    ".launcher{position:fixed;right:16px;bottom:16px;z-index:2147483000;display:inline-flex;align-items:center;",
    "gap:8px;min-height:48px;padding:10px 18px;border:2px solid var(--nb-accent);border-radius:24px;",
    "background:var(--nb-accent);color:#fff;font-weight:600;box-shadow:0 2px 8px rgba(0,0,0,.25);}",
    ".launcher:hover{background:var(--nb-accent-dark);border-color:var(--nb-accent-dark);}",
    ".launcher svg{width:20px;height:20px;fill:currentColor;flex:none;}",
    /* panel */
    ".panel{position:fixed;right:16px;bottom:76px;z-index:2147483000;width:min(440px,calc(100vw - 32px));",
    "height:min(800px,calc(100vh - 92px));display:flex;flex-direction:column;background:#fff;",
    "border:1px solid #6b7280;border-radius:8px;box-shadow:0 4px 24px rgba(0,0,0,.25);overflow:auto;}",
    ".head{display:flex;align-items:center;gap:8px;flex-wrap:wrap;padding:8px 12px;",
    "border-bottom:1px solid #d1d5db;background:#f8fafc;}",
    ".head h1,.head h2{flex:1 1 auto;margin:0;font-size:1.05rem;line-height:1.3;}",
    ".btn{display:inline-flex;align-items:center;justify-content:center;gap:6px;min-height:32px;",
    "padding:4px 10px;border:1px solid #6b7280;border-radius:6px;background:#fff;color:#1a1a1a;}",
    ".btn:hover{background:#eef2ff;}",
    ".btn svg{width:16px;height:16px;fill:currentColor;flex:none;}",
    ".btn[aria-pressed=true]{background:#dbe4ff;border-color:var(--nb-accent);font-weight:600;}",
    ".btn[aria-disabled=true]{opacity:.8;cursor:default;}",
    ".primary{background:var(--nb-accent);border-color:var(--nb-accent);color:#fff;font-weight:600;}",
    ".primary:hover{background:var(--nb-accent-dark);}",
    ".close{font-size:1.3rem;line-height:1;min-width:32px;}",
    ".notice{margin:0;padding:6px 12px;background:#fff4d6;color:#3d2b00;border-bottom:1px solid #e0c46c;",
    "font-size:.9rem;}",
    ".messages{list-style:none;margin:0;padding:12px;flex:1 1 auto;min-height:120px;overflow-y:auto;}",
    ".intro{color:#374151;margin:0 0 8px;}",
    ".msg{margin:0 0 12px;padding:8px 10px;border-radius:8px;overflow-wrap:anywhere;}",
    ".msg p{margin:0 0 6px;}",
    ".msg p:last-child{margin-bottom:0;}",
    ".me{background:#e8eefc;margin-left:15%;}",
    ".bot{background:#f3f4f6;margin-right:5%;}",
    ".who{display:block;font-size:.8rem;font-weight:700;color:#374151;margin-bottom:2px;}",
    ".state{font-size:.9rem;color:#374151;font-style:italic;}",
    ".cite{display:inline-block;min-width:24px;min-height:24px;text-align:center;font-weight:600;",
    "text-decoration:underline;}",
    ".srcs{margin-top:8px;}",
    ".srcs h3{font-size:.9rem;margin:0 0 4px;}",
    ".srcs ol{margin:0;padding:0;list-style:none;}",
    ".srcs li{margin:0 0 4px;}",
    ".source{display:block;width:100%;text-align:left;min-height:32px;padding:4px 8px;background:#fff;",
    "border:1px solid #6b7280;border-radius:6px;color:#1a1a1a;}",
    ".source:hover{background:#eef2ff;}",
    ".source.hl{border-color:var(--nb-accent);box-shadow:0 0 0 2px var(--nb-accent);}",
    ".stale{font-size:.8rem;color:#7c2d12;}",
    ".preview{margin:4px 0 8px;padding:8px;background:#fff;border-left:4px solid var(--nb-accent);",
    "font-size:.92rem;}",
    ".preview p{margin:0 0 4px;}",
    ".preview blockquote{margin:4px 0;padding:0;color:#1a1a1a;}",
    ".preview mark{background:#fff2a8;color:#1a1a1a;}",
    ".meta{color:#374151;font-size:.85rem;}",
    ".actions{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;}",
    ".reason{margin-top:8px;display:flex;flex-wrap:wrap;gap:6px;align-items:flex-end;}",
    ".reason label{flex:1 1 100%;font-size:.9rem;}",
    ".reason input{flex:1 1 160px;min-height:32px;padding:4px 8px;border:1px solid #6b7280;border-radius:6px;}",
    ".thanks{font-size:.9rem;color:#14532d;margin:6px 0 0;}",
    ".error{margin-top:6px;padding:8px;border:1px solid #b91c1c;border-radius:6px;background:#fdecea;color:#7f1d1d;}",
    ".error p{margin:0 0 6px;}",
    ".composer{padding:8px 12px 10px;border-top:1px solid #d1d5db;background:#f8fafc;}",
    ".composer label{display:block;font-weight:600;margin-bottom:4px;}",
    ".composer textarea{display:block;width:100%;min-height:48px;max-height:40vh;resize:vertical;padding:6px 8px;",
    "border:1px solid #6b7280;border-radius:6px;background:#fff;}",
    ".row{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin-top:6px;}",
    ".hint{flex:1 1 140px;margin:0;font-size:.8rem;color:#374151;}",
    /* page mode: the whole page is the chat */
    ":host([data-mode=page]) .launcher{display:none;}",
    ":host([data-mode=page]) .panel{position:static;width:auto;max-width:52rem;height:100vh;height:100dvh;",
    "margin:0 auto;border-radius:0;border-top:0;border-bottom:0;box-shadow:none;}",
    "@media (max-width:480px){.panel{right:8px;bottom:72px;width:calc(100vw - 16px);}",
    ".launcher{right:8px;bottom:8px;}.me{margin-left:0;}.bot{margin-right:0;}}",
    "@media (forced-colors:active){.launcher,.primary{border:2px solid ButtonText;}}",
    "@media (prefers-reduced-motion:no-preference){.panel{scroll-behavior:smooth;}}"
  ].join("");

  var sharedSheet = null;
  function styleSheet() {
    if (sharedSheet === null && typeof CSSStyleSheet === "function") {
      try {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        sharedSheet = sheet;
      } catch (e) {
        sharedSheet = false;
      }
    }
    return sharedSheet || null;
  }

  var counter = 0;
  function uid(prefix) {
    counter += 1;
    return "nbhd-" + prefix + "-" + counter;
  }

  /* Build elements from text only: h("p", {class: "x"}, ["text", child]). */
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") el.textContent = String(v);
        else el.setAttribute(k, v === true ? "" : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return el;
  }

  function icon(name) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  function safeUrl(url) {
    try {
      var u = new URL(url);
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function citeLabel(c) {
    var parts = [c.title || c.doc_id];
    if (c.year) parts.push(String(c.year));
    if (c.page) parts.push("p. " + c.page);
    return parts.join(", ");
  }

  /* Server-sent events from a fetch body: yields {event, data}. */
  function readEvents(body, onEvent) {
    var reader = body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function parse(block) {
      var event = "message";
      var data = [];
      block.split(/\r\n|\n|\r/).forEach(function (line) {
        if (!line || line.charAt(0) === ":") return;
        var i = line.indexOf(":");
        var field = i < 0 ? line : line.slice(0, i);
        var value = i < 0 ? "" : line.slice(i + 1);
        if (value.charAt(0) === " ") value = value.slice(1);
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
      });
      if (data.length) onEvent(event, data.join("\n"));
    }
    function drain() {
      var m;
      var re = /\r\n\r\n|\n\n|\r\r/;
      while ((m = re.exec(buffer)) !== null) {
        var block = buffer.slice(0, m.index);
        buffer = buffer.slice(m.index + m[0].length);
        parse(block);
      }
    }
    function pump() {
      return reader.read().then(function (r) {
        if (r.done) {
          buffer += decoder.decode();
          drain();
          if (buffer.trim()) parse(buffer);
          return;
        }
        buffer += decoder.decode(r.value, { stream: true });
        drain();
        return pump();
      });
    }
    return pump();
  }

  function HttpError(status, message, retryAfter) {
    this.status = status;
    this.message = message;
    this.retryAfter = retryAfter;
  }

  class NbhdChat extends HTMLElement {
    constructor() {
      super();
      this.root = this.attachShadow({ mode: "open" });
      this.messages = [];
      this.conversationId = null;
      this.inflight = null;
      this.built = false;
    }

    get api() {
      var a = this.getAttribute("data-api") || SCRIPT_API || location.origin;
      return a.replace(/\/+$/, "");
    }

    get pageMode() {
      return this.getAttribute("data-mode") === "page";
    }

    get storeKey() {
      return "nbhd-chat:" + STORE_VERSION + ":" + this.api;
    }

    connectedCallback() {
      if (this.built) return;
      this.built = true;
      this.build();
      this.restore();
    }

    /* ------------------------------------------------------------ structure */
    build() {
      var sheet = styleSheet();
      if (sheet && "adoptedStyleSheets" in this.root) this.root.adoptedStyleSheets = [sheet];
      else this.root.appendChild(h("style", { text: CSS })); // old browsers (blocked by strict CSP)

      var title = this.getAttribute("data-title") || TITLE;
      var ids = { panel: uid("panel"), title: uid("title"), q: uid("q"), hint: uid("hint"), log: uid("log") };
      this.ids = ids;

      this.launcher = h("button", {
        type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": ids.panel
      }, [icon("chat"), h("span", { text: title })]);
      this.launcher.addEventListener("click", () => (this.isOpen() ? this.close(true) : this.open()));

      var heading = h(this.pageMode ? "h1" : "h2", { id: ids.title, text: title });
      this.newButton = h("button", { type: "button", class: "btn", text: "New chat" });
      this.newButton.addEventListener("click", () => this.reset());
      this.closeButton = h("button", { type: "button", class: "btn close", "aria-label": "Close chat" }, ["×"]);
      this.closeButton.addEventListener("click", () => this.close(true));
      if (this.pageMode) this.closeButton.hidden = true;

      this.list = h("ol", { class: "messages", id: ids.log, "aria-label": "Conversation" });
      this.intro = h("li", { class: "intro" }, [
        "Ask about neighbourhood working: approaches, places, evidence. Answers quote the documents they come from."
      ]);
      this.list.appendChild(this.intro);

      this.statusRegion = h("div", { role: "status", class: "sr-only" });

      this.input = h("textarea", {
        id: ids.q, name: "message", rows: "2", maxlength: this.getAttribute("data-max-chars") || "2000",
        "aria-describedby": ids.hint, autocomplete: "off"
      });
      this.input.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.submit();
        }
      });
      this.sendButton = h("button", { type: "submit", class: "btn primary", text: "Send" });
      this.stopButton = h("button", { type: "button", class: "btn", text: "Stop answer", hidden: true });
      this.stopButton.addEventListener("click", () => this.cancel());
      this.form = h("form", { class: "composer", novalidate: true }, [
        h("label", { for: ids.q, text: "Your question" }),
        this.input,
        h("div", { class: "row" }, [
          this.sendButton,
          this.stopButton,
          h("p", { class: "hint", id: ids.hint, text: "Enter sends; Shift+Enter starts a new line." })
        ])
      ]);
      this.form.addEventListener("submit", (e) => {
        e.preventDefault();
        this.submit();
      });

      this.panel = h("section", { class: "panel", id: ids.panel, "aria-labelledby": ids.title }, [
        h("div", { class: "head" }, [heading, this.newButton, this.closeButton]),
        h("p", { class: "notice" }, [h("strong", { text: "AI-generated: check the sources." }),
          " Answers are drawn from the documents listed with them."]),
        this.list,
        this.statusRegion,
        this.form
      ]);
      this.panel.hidden = !this.pageMode;
      this.panel.addEventListener("keydown", (e) => {
        if (e.key === "Escape" && !this.pageMode) {
          e.stopPropagation();
          this.close(true);
        }
      });

      if (!this.pageMode) this.root.appendChild(this.launcher);
      this.root.appendChild(this.panel);
    }

    isOpen() {
      return !this.panel.hidden;
    }

    open() {
      this.panel.hidden = false;
      this.launcher.setAttribute("aria-expanded", "true");
      this.save();
      this.scrollToEnd();
      this.input.focus();
    }

    close(returnFocus) {
      if (this.pageMode) return;
      this.panel.hidden = true;
      this.launcher.setAttribute("aria-expanded", "false");
      this.save();
      if (returnFocus) this.launcher.focus();
    }

    announce(text) {
      var region = this.statusRegion;
      region.textContent = "";
      window.setTimeout(function () { region.textContent = text; }, 50);
    }

    scrollToEnd() {
      this.list.scrollTop = this.list.scrollHeight;
    }

    /* ------------------------------------------------------------ session */
    save() {
      try {
        var done = this.messages.filter(function (m) { return m.role === "me" || m.final; }).slice(-MAX_STORED);
        window.sessionStorage.setItem(this.storeKey, JSON.stringify({
          conversationId: this.conversationId,
          open: this.isOpen(),
          messages: done.map(function (m) {
            return { role: m.role, text: m.text, data: m.data || null, feedback: m.feedback || null, final: !!m.final };
          })
        }));
      } catch (e) { /* storage full or disabled: the chat still works */ }
    }

    restore() {
      var state = null;
      try {
        state = JSON.parse(window.sessionStorage.getItem(this.storeKey) || "null");
      } catch (e) {
        state = null;
      }
      if (!state || !Array.isArray(state.messages)) return;
      this.conversationId = typeof state.conversationId === "string" ? state.conversationId : null;
      state.messages.forEach((m) => {
        if (m.role === "me") this.addUser(String(m.text || ""));
        else if (m.data) {
          var msg = this.addBot();
          msg.feedback = m.feedback;
          this.finish(msg, m.data, false);
        }
      });
      if (state.open && !this.pageMode) {
        this.panel.hidden = false;
        this.launcher.setAttribute("aria-expanded", "true");
      }
    }

    reset() {
      this.cancel();
      this.messages = [];
      this.conversationId = null;
      while (this.list.firstChild) this.list.removeChild(this.list.firstChild);
      this.list.appendChild(this.intro);
      this.save();
      this.announce("New conversation started.");
      this.input.focus();
    }

    /* ------------------------------------------------------------ messages */
    addUser(text) {
      var li = h("li", { class: "msg me" }, [h("span", { class: "who", text: "You" }), h("p", { text: text })]);
      this.list.appendChild(li);
      var msg = { role: "me", text: text, el: li };
      this.messages.push(msg);
      return msg;
    }

    addBot(question) {
      var li = h("li", { class: "msg bot", "aria-busy": "true" });
      var msg = {
        role: "bot", question: question, el: li, text: "", data: null, final: false,
        body: h("div", { class: "answer" }), state: h("p", { class: "state" }), extra: h("div")
      };
      li.appendChild(h("span", { class: "who", text: "Assistant" }));
      li.appendChild(msg.state);
      li.appendChild(msg.body);
      li.appendChild(msg.extra);
      this.list.appendChild(li);
      this.messages.push(msg);
      return msg;
    }

    renderText(msg, text, citations) {
      var byN = {};
      (citations || []).forEach(function (c) { byN[c.n] = c; });
      var body = msg.body;
      while (body.firstChild) body.removeChild(body.firstChild);
      var paragraphs = String(text).split(/\n\s*\n|\n/).filter(function (p) { return p.trim(); });
      paragraphs.forEach((para) => {
        var p = h("p");
        var re = /\[(\d{1,3})\]/g;
        var last = 0;
        var m;
        while ((m = re.exec(para)) !== null) {
          if (m.index > last) p.appendChild(document.createTextNode(para.slice(last, m.index)));
          var c = byN[Number(m[1])];
          if (c) p.appendChild(this.citeLink(msg, c));
          else p.appendChild(document.createTextNode(m[0]));
          last = m.index + m[0].length;
        }
        if (last < para.length) p.appendChild(document.createTextNode(para.slice(last)));
        body.appendChild(p);
      });
    }

    citeLink(msg, c) {
      var a = h("a", { href: "#", class: "cite" }, [
        "[" + c.n + "]", h("span", { class: "sr-only", text: " source: " + (c.title || c.doc_id) })
      ]);
      a.addEventListener("click", (e) => {
        e.preventDefault();
        var target = msg.sourceButtons && msg.sourceButtons[c.n];
        if (!target) return;
        Object.keys(msg.sourceButtons).forEach(function (k) { msg.sourceButtons[k].classList.remove("hl"); });
        target.classList.add("hl");
        target.focus();
      });
      return a;
    }

    renderSources(msg, citations, heading) {
      msg.sourceButtons = {};
      if (!citations || !citations.length) return null;
      var hid = uid("srch");
      var ol = h("ol", { "aria-labelledby": hid });
      citations.forEach((c) => {
        var pid = uid("pv");
        var button = h("button", {
          type: "button", class: "source", "aria-expanded": "false", "aria-controls": pid
        }, ["[" + c.n + "] " + citeLabel(c)]);
        if (c.stale) button.appendChild(h("span", { class: "stale", text: " (older evidence)" }));
        var preview = h("div", { class: "preview", id: pid, hidden: true });
        button.addEventListener("click", () => this.togglePreview(button, preview, c));
        msg.sourceButtons[c.n] = button;
        ol.appendChild(h("li", null, [button, preview]));
      });
      return h("div", { class: "srcs" }, [h("h3", { id: hid, text: heading }), ol]);
    }

    togglePreview(button, preview, c) {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", open ? "false" : "true");
      preview.hidden = open;
      if (open || preview.getAttribute("data-loaded")) return;
      preview.setAttribute("data-loaded", "1");
      preview.appendChild(h("p", { class: "meta", text: "Loading the passage…" }));
      var url = this.api + "/api/sources/" + encodeURIComponent(c.doc_id);
      var q = [];
      if (c.chunk_id) q.push("chunk=" + encodeURIComponent(c.chunk_id));
      if (c.quote) q.push("quote=" + encodeURIComponent(String(c.quote).slice(0, 1000)));
      if (q.length) url += "?" + q.join("&");
      fetch(url, { headers: this.headers(false), mode: "cors", credentials: "omit" })
        .then(function (res) { return res.ok ? res.json() : Promise.reject(res.status); })
        .then((doc) => this.fillPreview(preview, c, doc))
        .catch(() => this.fillPreview(preview, c, null));
    }

    fillPreview(preview, c, doc) {
      while (preview.firstChild) preview.removeChild(preview.firstChild);
      var d = doc || {};
      var passage = d.passage || null;
      preview.appendChild(h("p", null, [h("strong", { text: d.title || c.title || c.doc_id })]));
      var meta = [];
      var year = d.year || c.year;
      if (year) meta.push("Year: " + year);
      var page = (passage && passage.page) || c.page;
      if (page) meta.push("Page: " + page);
      var section = (passage && passage.section) || c.section;
      if (section && section !== (d.title || c.title)) meta.push("Section: " + section);
      if (d.publisher) meta.push(d.publisher);
      if (meta.length) preview.appendChild(h("p", { class: "meta", text: meta.join(" · ") }));
      var quote = h("blockquote");
      if (passage && passage.quote_start !== null && passage.quote_start !== undefined) {
        var t = passage.text;
        var s = passage.quote_start;
        var e = passage.quote_end;
        var before = t.slice(Math.max(0, s - 240), s);
        var after = t.slice(e, e + 240);
        if (s > 240) before = "…" + before.replace(/^\S*\s/, "");
        if (e + 240 < t.length) after = after.replace(/\s\S*$/, "") + "…";
        quote.appendChild(document.createTextNode(before));
        quote.appendChild(h("mark", { text: t.slice(s, e) }));
        quote.appendChild(document.createTextNode(after));
      } else {
        quote.appendChild(h("mark", { text: c.quote || "" }));
        if (!doc) preview.appendChild(h("p", { class: "meta", text: "The full passage could not be loaded." }));
      }
      preview.appendChild(quote);
      if (doc) {  // the source viewer: the document at the passage, the quoted span highlighted
        var view = this.api + "/source/" + encodeURIComponent(c.doc_id);
        var vq = [];
        if (c.chunk_id) vq.push("chunk=" + encodeURIComponent(c.chunk_id));
        if (c.quote) vq.push("quote=" + encodeURIComponent(String(c.quote).slice(0, 1000)));
        if (vq.length) view += "?" + vq.join("&");
        preview.appendChild(h("p", null, [h("a", { href: view, class: "viewer", target: "_blank", rel: "noopener" },
          ["Open the document at this passage", h("span", { class: "sr-only", text: " (opens in a new tab)" })])]));
      }
      var href = safeUrl(d.url || c.url || "");
      if (href) {
        preview.appendChild(h("p", null, [h("a", { href: href, target: "_blank", rel: "noopener noreferrer" },
          ["Open the original document", h("span", { class: "sr-only", text: " (opens in a new tab)" })])]));
      }
    }

    finish(msg, data, live) {
      msg.data = data;
      msg.final = true;
      msg.text = data.answer || "";
      msg.el.removeAttribute("aria-busy");
      msg.state.hidden = true;
      this.renderText(msg, msg.text, data.citations);
      while (msg.extra.firstChild) msg.extra.removeChild(msg.extra.firstChild);
      var sources = this.renderSources(msg, data.citations, "Sources");
      if (!sources && data.related && data.related.length) {
        sources = this.renderSources(msg, data.related, "Related sources (they do not answer the question)");
      }
      if (sources) msg.extra.appendChild(sources);
      if (data.answer_id && data.status !== "refused_input") msg.extra.appendChild(this.actions(msg));
      if (live) {
        var n = (data.citations || []).length;
        this.announce("Answer: " + msg.text + (n ? " " + n + (n === 1 ? " source." : " sources.") : ""));
        this.save();
      }
    }

    actions(msg) {
      var up = h("button", { type: "button", class: "btn", "aria-pressed": "false" }, [icon("up"), "Helpful"]);
      var down = h("button", { type: "button", class: "btn", "aria-pressed": "false" }, [icon("down"), "Not helpful"]);
      var copy = h("button", { type: "button", class: "btn", text: "Copy answer" });
      var box = h("div", { class: "actions", role: "group", "aria-label": "Rate or copy this answer" },
        [up, down, copy]);
      var wrap = h("div", null, [box]);
      var thanks = h("p", { class: "thanks", hidden: true, text: "Thank you for your feedback." });
      var reasonId = uid("reason");
      var reason = h("input", { id: reasonId, type: "text", maxlength: "500", autocomplete: "off" });
      var sendReason = h("button", { type: "submit", class: "btn", text: "Send feedback" });
      var reasonForm = h("form", { class: "reason", hidden: true, novalidate: true }, [
        h("label", { for: reasonId, text: "What was wrong with this answer? (optional)" }), reason, sendReason
      ]);
      var lock = function (which) {
        up.setAttribute("aria-pressed", which === "up" ? "true" : "false");
        down.setAttribute("aria-pressed", which === "down" ? "true" : "false");
        up.setAttribute("aria-disabled", "true");
        down.setAttribute("aria-disabled", "true");
      };
      if (msg.feedback) {
        lock(msg.feedback);
        thanks.hidden = false;
      }
      up.addEventListener("click", () => {
        if (msg.feedback) return;
        this.sendFeedback(msg, "up", null, thanks, lock);
      });
      down.addEventListener("click", () => {
        if (msg.feedback) return;
        reasonForm.hidden = false;
        down.setAttribute("aria-pressed", "true");
        reason.focus();
      });
      reasonForm.addEventListener("submit", (e) => {
        e.preventDefault();
        if (msg.feedback) return;
        reasonForm.hidden = true;
        this.sendFeedback(msg, "down", reason.value.trim() || null, thanks, lock);
        down.focus();
      });
      copy.addEventListener("click", () => this.copy(msg, copy));
      wrap.appendChild(reasonForm);
      wrap.appendChild(thanks);
      return wrap;
    }

    sendFeedback(msg, rating, reason, thanks, lock) {
      msg.feedback = rating;
      lock(rating);
      fetch(this.api + "/api/feedback", {
        method: "POST", mode: "cors", credentials: "omit", headers: this.headers(true),
        body: JSON.stringify({ answer_id: msg.data.answer_id, rating: rating, reason: reason })
      }).then((res) => {
        if (!res.ok) throw new Error(String(res.status));
        thanks.textContent = "Thank you for your feedback.";
        thanks.hidden = false;
        this.announce("Thank you for your feedback.");
        this.save();
      }).catch(() => {
        msg.feedback = null;
        thanks.textContent = "Your feedback could not be sent. Please try again later.";
        thanks.hidden = false;
      });
    }

    copy(msg, button) {
      var lines = [msg.text];
      var cites = (msg.data && msg.data.citations) || [];
      if (cites.length) {
        lines.push("", "Sources:");
        cites.forEach(function (c) { lines.push("[" + c.n + "] " + citeLabel(c) + (c.url ? " " + c.url : "")); });
      }
      var text = lines.join("\n");
      var done = function (ok) {
        button.textContent = ok ? "Copied" : "Copy failed";
        window.setTimeout(function () { button.textContent = "Copy answer"; }, 2500);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      } else {
        done(false);
      }
    }

    showError(msg, message, retryAfter) {
      msg.el.removeAttribute("aria-busy");
      msg.state.hidden = true;
      var text = message || "Something went wrong.";
      var retry = h("button", { type: "button", class: "btn", text: "Try again" });
      var box = h("div", { class: "error", role: "alert" }, [h("p", { text: text }), retry]);
      retry.addEventListener("click", () => {
        if (this.inflight || retry.getAttribute("aria-disabled") === "true") return;
        var idx = this.messages.indexOf(msg);
        if (idx >= 0) this.messages.splice(idx, 1);
        if (msg.el.parentNode) msg.el.parentNode.removeChild(msg.el);
        this.ask(msg.question, true);
      });
      msg.extra.appendChild(box);
      if (retryAfter) {
        retry.setAttribute("aria-disabled", "true");
        window.setTimeout(function () { retry.removeAttribute("aria-disabled"); }, retryAfter * 1000);
      }
    }

    /* ------------------------------------------------------------ asking */
    headers(json) {
      var out = { Accept: json ? "text/event-stream" : "application/json" };
      if (json) out["Content-Type"] = "application/json";
      var key = this.getAttribute("data-api-key");
      if (key) out.Authorization = "Bearer " + key;
      return out;
    }

    submit() {
      var text = this.input.value.trim();
      if (!text || this.inflight) return;
      this.input.value = "";
      this.ask(text, false);
    }

    cancel() {
      if (!this.inflight) return;
      var stopHadFocus = this.root.activeElement === this.stopButton;
      this.inflight.controller.abort();
      if (stopHadFocus) this.input.focus();
    }

    setBusy(busy) {
      this.stopButton.hidden = !busy;
      if (busy) this.sendButton.setAttribute("aria-disabled", "true");
      else this.sendButton.removeAttribute("aria-disabled");
    }

    ask(question, isRetry) {
      if (this.intro.parentNode) this.list.removeChild(this.intro);
      if (!isRetry) this.addUser(question);
      var msg = this.addBot(question);
      msg.state.textContent = "Looking for an answer…";
      this.scrollToEnd();
      var controller = new AbortController();
      this.inflight = { controller: controller, msg: msg };
      this.setBusy(true);
      this.save();
      var body = { message: question };
      if (this.conversationId) body.conversation_id = this.conversationId;
      var deltas = "";
      var citations = null;
      var finished = false;
      var self = this;

      fetch(this.api + "/api/chat", {
        method: "POST", mode: "cors", credentials: "omit", headers: this.headers(true),
        body: JSON.stringify(body), signal: controller.signal
      }).then(function (res) {
        if (!res.ok) {
          var retryAfter = parseInt(res.headers.get("Retry-After") || "", 10) || 0;
          return res.json().catch(function () { return {}; }).then(function (err) {
            var message = err && typeof err.error === "string" ? err.error : "The assistant could not answer (error " + res.status + ").";
            if (res.status === 429) {
              message = "Too many questions in a short time. Please wait " + (retryAfter || 30) + " seconds, then try again.";
            }
            throw new HttpError(res.status, message, retryAfter);
          });
        }
        var type = res.headers.get("Content-Type") || "";
        if (type.indexOf("text/event-stream") < 0 || !res.body) {
          return res.json().then(function (data) { finished = true; self.onDone(msg, data); });
        }
        return readEvents(res.body, function (event, raw) {
          var data;
          try { data = JSON.parse(raw); } catch (e) { return; }
          if (event === "meta") {
            if (data.conversation_id) self.conversationId = data.conversation_id;
          } else if (event === "status") {
            var label = STATUS_TEXT[data.status];
            if (label) msg.state.textContent = label;
          } else if (event === "delta") {
            var piece = String(data.text || "");
            deltas += (deltas && !/\s$/.test(deltas) && !/^\s/.test(piece) ? " " : "") + piece;
            msg.state.hidden = true;
            self.renderText(msg, deltas, citations);
            self.scrollToEnd();
          } else if (event === "citations") {
            citations = data.citations || [];
            self.renderText(msg, deltas, citations);
          } else if (event === "done") {
            finished = true;
            self.onDone(msg, data);
          } else if (event === "error") {
            finished = true;
            throw new HttpError(0, data.message || "Something went wrong while answering.", 0);
          }
        }).then(function () {
          if (!finished) throw new HttpError(0, "The answer was interrupted. Please try again.", 0);
        });
      }).catch(function (err) {
        if (controller.signal.aborted) {
          msg.el.removeAttribute("aria-busy");
          msg.state.hidden = false;
          msg.state.textContent = "Answer stopped.";
          if (deltas) self.renderText(msg, deltas, citations);
          self.announce("Answer stopped.");
          return;
        }
        if (err instanceof HttpError) self.showError(msg, err.message, err.retryAfter);
        else self.showError(msg, "The assistant could not be reached. Check your connection and try again.", 0);
        self.save();
      }).then(function () {
        if (self.inflight && self.inflight.msg === msg) self.inflight = null;
        self.setBusy(false);
        self.scrollToEnd();
      });
    }

    onDone(msg, data) {
      if (data.conversation_id) this.conversationId = data.conversation_id;
      this.finish(msg, data, true);
    }
  }

  window.customElements.define("nbhd-chat", NbhdChat);

  function mount() {
    if (document.querySelector("nbhd-chat")) return;
    var el = document.createElement("nbhd-chat");
    if (SCRIPT) {
      ["data-api", "data-mode", "data-title", "data-api-key", "data-max-chars"].forEach(function (name) {
        var v = SCRIPT.getAttribute(name);
        if (v) el.setAttribute(name, v);
      });
    }
    if (!el.getAttribute("data-api") && SCRIPT_API) el.setAttribute("data-api", SCRIPT_API);
    document.body.appendChild(el);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
