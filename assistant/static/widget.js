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
 * lines of an answer that are list items ("- item", "1. item") render as lists; sources are
 * grouped by document (one card each, listing its quoted passages with pages); a citation [n]
 * opens its passage's preview in that card (the passage in its document, the quote marked,
 * from GET /api/sources/{doc_id}?chunk=...&quote=...); a comparison renders as a table (one row per dimension) and an
 * action plan as its sections, with "Download as Word" (a short-lived signed link from
 * POST /api/plans/{id}/link), "Copy as Markdown" and a form to change the brief and redraft;
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
  var PASSAGES_SHOWN = 3; // per source card; the rest behind "Show N more passages"
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
    ".msg{position:relative;margin:0 0 12px;padding:8px 10px;border-radius:8px;overflow-wrap:anywhere;}",
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
    /* lists in answers, grouped sources */
    ".answer ul,.answer ol,.plan ul,.plan ol{margin:0 0 6px;padding-left:1.4rem;}",
    ".answer li,.plan li{margin:0 0 2px;}",
    ".docs{margin:0;padding:0;list-style:none;}",
    ".doc{margin:0 0 6px;padding:6px 8px;background:#fff;border:1px solid #6b7280;border-radius:6px;}",
    ".doc-title{display:block;font-weight:600;}",
    ".doc ul{margin:4px 0 0;padding:0;list-style:none;}",
    ".doc li{margin:0 0 4px;}",
    ".passage{display:block;width:100%;text-align:left;min-height:32px;padding:4px 6px;background:#fff;",
    "border:1px solid #9ca3af;border-radius:6px;color:#1a1a1a;}",
    ".passage:hover{background:#eef2ff;}",
    ".passage.hl{border-color:var(--nb-accent);box-shadow:0 0 0 2px var(--nb-accent);}",
    ".doc summary{cursor:pointer;min-height:24px;color:var(--nb-accent);text-decoration:underline;}",
    ".keydiff ul{list-style:disc;padding-left:1.2rem;margin:2px 0 0;}",
    ".qt{color:#1a1a1a;}",
    /* comparison table */
    ".cmp h3,.plan h3{font-size:1rem;margin:0 0 6px;}",
    ".cmp h4,.plan h4{font-size:.95rem;margin:10px 0 4px;}",
    ".plan h5{font-size:.92rem;margin:0 0 4px;}",
    ".keydiff{margin:0 0 8px;padding-left:1.2rem;}",
    ".keydiff li{margin:0 0 6px;}",
    ".tablewrap{position:relative;overflow-x:auto;max-width:100%;margin:4px 0 8px;border:1px solid #6b7280;",
    "border-radius:6px;background:#fff;}",
    ".matrix{border-collapse:collapse;font-size:.88rem;line-height:1.4;min-width:100%;}",
    ".matrix caption{text-align:left;font-weight:600;padding:6px 8px;}",
    ".matrix th,.matrix td{border-top:1px solid #d1d5db;padding:6px 8px;text-align:left;vertical-align:top;}",
    ".matrix thead th{background:#eef2ff;min-width:11rem;}",
    ".matrix thead th:first-child{min-width:7rem;}",
    ".matrix tbody th{background:#f8fafc;font-weight:600;min-width:7rem;}",
    /* the dimension column stays in view while the table scrolls sideways */
    ".matrix tbody th,.matrix thead th:first-child{position:sticky;left:0;z-index:1;box-shadow:1px 0 0 #d1d5db;}",
    ".matrix td{min-width:11rem;}",
    ".ns{color:#4b5563;font-style:italic;}",
    ".note{font-size:.85rem;color:#374151;margin:0 0 6px;}",
    /* action plan */
    ".plan .meta-line{margin:0 0 4px;}",
    ".toolbar{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0;}",
    ".action{margin:0 0 10px;padding:8px;background:#fff;border:1px solid #6b7280;border-radius:6px;}",
    ".fields{display:grid;grid-template-columns:minmax(6.5rem,max-content) 1fr;gap:2px 10px;margin:0;}",
    ".fields dt{font-weight:600;}",
    ".fields dd{margin:0;}",
    ".rebrief{display:grid;gap:6px;margin:0 0 8px;padding:8px;background:#fff;border:1px solid #6b7280;",
    "border-radius:6px;}",
    ".rebrief label{font-weight:600;font-size:.9rem;}",
    ".rebrief input,.rebrief textarea,.rebrief select{width:100%;min-height:32px;padding:4px 8px;",
    "border:1px solid #6b7280;border-radius:6px;background:#fff;}",
    "@media (max-width:480px){.fields{grid-template-columns:1fr;}.fields dd{margin-bottom:4px;}}",
    /* a comparison or a plan in the conversation: the panel widens (tables and plans need the room) */
    ":host([data-wide]) .panel{width:min(760px,calc(100vw - 32px));}",
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

  function period(months) {
    months = months || 12;
    if (months % 12 === 0) return months / 12 + (months === 12 ? " year" : " years");
    return months + " months";
  }

  /* A plan as Markdown (the same layout as the Word document). */
  function planMarkdown(plan) {
    var out = ["# " + (plan.title || "Action plan"), "", "**Brief:** " + (plan.brief || ""), ""];
    if (plan.ward) out.push("**Area:** " + plan.ward, "");
    out.push("**Plan period:** " + period(plan.horizon_months), "");
    var sections = plan.sections || [];
    var section = function (sec) { out.push("## " + sec.heading, "", String(sec.text || "").trim(), ""); };
    sections.slice(0, 2).forEach(section);
    out.push("## Actions", "");
    (plan.priorities || []).forEach(function (p, i) {
      out.push("### Priority " + (i + 1) + ": " + p.title, "");
      (p.actions || []).forEach(function (a, j) {
        out.push("#### Action " + (i + 1) + "." + (j + 1) + ": " + (a.title || String(a.action || "").split(" Precedent: ")[0]), "");
        out.push("- **Lead:** " + (a.lead || ""));
        out.push("- **Partners:** " + (a.partners || []).join(", "));
        out.push("- **Timescale:** " + (a.timescale || ""));
        if (a.resources) out.push("- **Resources:** " + a.resources);
        out.push("- **Success measures:** " + (a.measures || []).join("; "));
        out.push("- **Precedent:** " + (a.precedent || "None in the sources."), "");
      });
    });
    sections.slice(2).forEach(section);
    if (plan.gaps && plan.gaps.length) {
      out.push("## Gaps in the evidence", "");
      plan.gaps.forEach(function (g) { out.push("- " + g); });
      out.push("");
    }
    out.push("## Sources", "");
    (plan.citations || []).forEach(function (c) {
      out.push(c.n + ". " + citeLabel(c) + " — “" + (c.quote || "") + "”");
    });
    return out.join("\n") + "\n";
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
      this.removeAttribute("data-wide");
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
      li.nbhdMsg = msg; // a [n] link finds its message's source cards through this
      li.appendChild(h("span", { class: "who", text: "Assistant" }));
      li.appendChild(msg.state);
      li.appendChild(msg.body);
      li.appendChild(msg.extra);
      this.list.appendChild(li);
      this.messages.push(msg);
      return msg;
    }

    /* Text with [n] markers as nodes: each known marker a link to its source. */
    inline(parent, text, byN) {
      var re = /\[(\d{1,3})\]/g;
      var last = 0;
      var m;
      text = String(text);
      while ((m = re.exec(text)) !== null) {
        if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
        var c = byN[Number(m[1])];
        parent.appendChild(c ? this.citeLink(c) : document.createTextNode(m[0]));
        last = m.index + m[0].length;
      }
      if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
      return parent;
    }

    /* Lines of text as paragraphs, and runs of list lines ("- a", "• b", "1. c") as lists. */
    blocks(parent, text, byN) {
      var list = null;
      var kind = "";
      String(text).split(/\n/).forEach((raw) => {
        var line = raw.trim();
        if (!line) { list = null; return; }
        var bullet = /^(?:[-•*▪●])\s+(.*)$/.exec(line);
        var number = /^(\d{1,3})[.)]\s+(.*)$/.exec(line);
        if (bullet || number) {
          var want = bullet ? "ul" : "ol";
          if (!list || kind !== want) {
            list = h(want);
            kind = want;
            if (number && number[1] !== "1") list.setAttribute("start", number[1]);
            parent.appendChild(list);
          }
          list.appendChild(this.inline(h("li"), bullet ? bullet[1] : number[2], byN));
        } else {
          list = null;
          parent.appendChild(this.inline(h("p"), line, byN));
        }
      });
      return parent;
    }

    renderText(msg, text, citations) {
      var byN = {};
      (citations || []).forEach(function (c) { byN[c.n] = c; });
      var body = msg.body;
      while (body.firstChild) body.removeChild(body.firstChild);
      this.blocks(body, text, byN);
    }

    /* [n]: a link to its passage in the message's source cards; it opens the passage's preview. */
    citeLink(c) {
      var a = h("a", { href: "#", class: "cite" }, [
        "[" + c.n + "]", h("span", { class: "sr-only", text: " source: " + (c.title || c.doc_id) })
      ]);
      a.addEventListener("click", (e) => {
        e.preventDefault();
        var li = a.closest(".msg");
        var msg = li && li.nbhdMsg;
        var target = msg && msg.sourceButtons && msg.sourceButtons[c.n];
        if (!target) return;
        Object.keys(msg.sourceButtons).forEach(function (k) { msg.sourceButtons[k].classList.remove("hl"); });
        var folded = target.closest("details");
        if (folded) folded.open = true;
        target.classList.add("hl");
        if (target.getAttribute("aria-expanded") !== "true") target.click();
        target.focus();
      });
      return a;
    }

    /* One card per document, listing its quoted passages (with pages); each passage is a button that
       opens a preview of the passage in its document (GET /api/sources/{doc_id}?chunk=&quote=). */
    renderSources(msg, citations, heading) {
      msg.sourceButtons = {};
      if (!citations || !citations.length) return null;
      var order = [];
      var byDoc = {};
      citations.forEach(function (c) {
        if (!byDoc[c.doc_id]) { byDoc[c.doc_id] = []; order.push(c.doc_id); }
        byDoc[c.doc_id].push(c);
      });
      var hid = uid("srch");
      var ol = h("ol", { class: "docs", "aria-labelledby": hid });
      order.forEach((docId) => {
        var cs = byDoc[docId];
        var first = cs[0];
        var meta = [first.year ? String(first.year) : "n.d."];
        meta.push(cs.length === 1 ? "1 passage" : cs.length + " passages");
        var passages = h("ul");
        var more = null;
        cs.forEach((c, i) => {
          var quote = String(c.quote || "");
          if (quote.length > 200) quote = quote.slice(0, 200).replace(/\s\S*$/, "") + "…";
          var pid = uid("pv");
          var button = h("button", { type: "button", class: "passage", "aria-expanded": "false", "aria-controls": pid }, [
            h("strong", { text: "[" + c.n + "]" + (c.page ? " p. " + c.page : "") }), " ",
            h("span", { class: "qt", text: "“" + quote + "”" })
          ]);
          if (c.stale) button.appendChild(h("span", { class: "stale", text: " (older evidence)" }));
          if (c.ocr) button.appendChild(h("span", { class: "stale", text: " (text read by OCR)" }));
          var preview = h("div", { class: "preview", id: pid, hidden: true });
          button.addEventListener("click", () => this.togglePreview(button, preview, c));
          msg.sourceButtons[c.n] = button;
          if (i === PASSAGES_SHOWN && cs.length > PASSAGES_SHOWN + 1) more = h("ul");
          (more || passages).appendChild(h("li", null, [button, preview]));
        });
        if (more) {
          var rest = cs.length - PASSAGES_SHOWN;
          passages.appendChild(h("li", null, [h("details", null, [
            h("summary", { text: "Show " + rest + " more passages from this document" }), more
          ])]));
        }
        ol.appendChild(h("li", { class: "doc" }, [
          h("span", { class: "doc-title", text: first.title || docId }),
          h("span", { class: "meta", text: meta.join(" · ") }),
          passages
        ]));
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
      var meta = [];
      var page = (passage && passage.page) || c.page;
      if (page) meta.push("Page " + page);
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

    /* ------------------------------------------------------------ comparisons */
    renderCompare(msg, cmp, byN) {
      var names = (cmp.approaches || []).map(function (a) { return a.name; });
      var box = h("div", { class: "cmp" });
      var title = "Comparing " + (names.length > 1 ? names.slice(0, -1).join(", ") + " and " + names[names.length - 1] : names.join(""));
      box.appendChild(h("h3", { text: title }));
      (cmp.approaches || []).forEach(function (a) {
        if (a.note) box.appendChild(h("p", { class: "note", text: a.note }));
      });
      var lines = String(cmp.summary || "").split(/\n/).filter(function (l) { return l.trim(); });
      if (lines.length) {
        box.appendChild(h("h4", { text: "Key differences" }));
        var ul = h("ul", { class: "keydiff" });
        lines.forEach((line) => {
          var body = line.replace(/^\s*-\s+/, "");
          var m = /^([^.:]{2,60})\.\s+(.*)$/.exec(body);
          var li = h("li");
          if (m) { li.appendChild(h("strong", { text: m[1] })); body = m[2]; }
          var sub = h("ul");
          body.split(" · ").forEach((part) => { sub.appendChild(this.inline(h("li"), part, byN)); });
          li.appendChild(sub);
          ul.appendChild(li);
        });
        box.appendChild(ul);
      }
      var cid = uid("cap");
      var table = h("table", { class: "matrix" });
      table.appendChild(h("caption", { id: cid, text: "Side by side, one row per dimension" }));
      var head = h("tr", null, [h("th", { scope: "col", text: "Dimension" })]);
      names.forEach(function (n) { head.appendChild(h("th", { scope: "col", text: n })); });
      table.appendChild(h("thead", null, [head]));
      var tbody = h("tbody");
      (cmp.rows || []).forEach((row) => {
        var tr = h("tr", null, [h("th", { scope: "row", text: row.dimension })]);
        (row.cells || []).forEach((cell) => {
          var td = h("td");
          if (cell.stated) this.inline(td, cell.text, byN);
          else { td.className = "ns"; td.textContent = "Not stated in the sources"; }
          tr.appendChild(td);
        });
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      // a table wider than the panel scrolls inside its own region (keyboard: focus it, then arrow keys)
      box.appendChild(h("div", { class: "tablewrap", role: "region", tabindex: "0", "aria-labelledby": cid }, [table]));
      return box;
    }

    /* ------------------------------------------------------------ action plans */
    renderPlan(msg, plan, byN) {
      var box = h("section", { class: "plan" });
      var tid = uid("plan");
      box.setAttribute("aria-labelledby", tid);
      box.appendChild(h("h3", { id: tid, text: plan.title || "Action plan" }));
      box.appendChild(h("p", { class: "meta-line" }, [h("strong", { text: "Brief: " }), plan.brief || ""]));
      if (plan.ward) box.appendChild(h("p", { class: "meta-line" }, [h("strong", { text: "Area: " }), plan.ward]));
      box.appendChild(h("p", { class: "meta-line" }, [h("strong", { text: "Plan period: " }), period(plan.horizon_months)]));
      box.appendChild(this.planToolbar(msg, plan, box));
      var sections = plan.sections || [];
      sections.slice(0, 2).forEach((sec) => {
        box.appendChild(h("h4", { text: sec.heading }));
        this.blocks(box, sec.text, byN);
      });
      (plan.priorities || []).forEach((p, i) => {
        box.appendChild(h("h4", { text: "Priority " + (i + 1) + ": " + p.title }));
        (p.actions || []).forEach((a, j) => {
          var title = a.title || String(a.action || "").split(" Precedent: ")[0];
          var dl = h("dl", { class: "fields" });
          var field = (label, value, withCites) => {
            dl.appendChild(h("dt", { text: label }));
            var dd = h("dd");
            if (withCites) this.inline(dd, value, byN); else dd.textContent = value;
            dl.appendChild(dd);
          };
          field("Lead", a.lead || "");
          if (a.partners && a.partners.length) field("Partners", a.partners.join(", "));
          field("Timescale", a.timescale || "");
          field("Success measures", (a.measures || []).join("; "));
          field("Precedent", a.precedent || "None in the sources: not based on a documented example.", true);
          box.appendChild(h("div", { class: "action" }, [h("h5", { text: "Action " + (i + 1) + "." + (j + 1) + ": " + title }), dl]));
        });
      });
      sections.slice(2).forEach((sec) => {
        box.appendChild(h("h4", { text: sec.heading }));
        this.blocks(box, sec.text, byN);
      });
      if (plan.gaps && plan.gaps.length) {
        box.appendChild(h("h4", { text: "Gaps in the evidence" }));
        var ul = h("ul");
        plan.gaps.forEach(function (g) { ul.appendChild(h("li", { text: g })); });
        box.appendChild(ul);
      }
      return box;
    }

    planToolbar(msg, plan, box) {
      var download = h("button", { type: "button", class: "btn primary", text: "Download as Word" });
      var copy = h("button", { type: "button", class: "btn", text: "Copy as Markdown" });
      var change = h("button", { type: "button", class: "btn", "aria-expanded": "false", text: "Change the brief" });
      var said = h("p", { class: "thanks", role: "status", hidden: true });
      var form = this.briefForm(msg, plan, said);
      change.setAttribute("aria-controls", form.id);
      download.addEventListener("click", () => this.downloadPlan(plan, download, said));
      copy.addEventListener("click", () => {
        var done = function (ok) {
          copy.textContent = ok ? "Copied" : "Copy failed";
          window.setTimeout(function () { copy.textContent = "Copy as Markdown"; }, 2500);
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(planMarkdown(plan)).then(function () { done(true); }, function () { done(false); });
        } else done(false);
      });
      change.addEventListener("click", () => {
        var open = change.getAttribute("aria-expanded") === "true";
        change.setAttribute("aria-expanded", open ? "false" : "true");
        form.hidden = open;
        if (!open) form.querySelector("input,textarea").focus();
      });
      return h("div", null, [
        h("div", { class: "toolbar", role: "group", "aria-label": "Plan actions" }, [download, copy, change]),
        said, form
      ]);
    }

    briefForm(msg, plan, said) {
      var ids = { area: uid("area"), focus: uid("focus"), period: uid("period") };
      var area = h("input", { id: ids.area, type: "text", maxlength: "100", autocomplete: "off" });
      area.value = plan.ward || "";
      var focus = h("textarea", { id: ids.focus, rows: "3", maxlength: this.getAttribute("data-max-chars") || "2000" });
      focus.value = plan.brief || "";
      var select = h("select", { id: ids.period });
      [6, 12, 24, 36].forEach(function (months) {
        var opt = h("option", { value: String(months), text: period(months) });
        if (months === (plan.horizon_months || 12)) opt.selected = true;
        select.appendChild(opt);
      });
      var submit = h("button", { type: "submit", class: "btn primary", text: "Redraft the plan" });
      var form = h("form", { class: "rebrief", id: uid("rebrief"), hidden: true, novalidate: true }, [
        h("label", { for: ids.area, text: "Area (ward or neighbourhood)" }), area,
        h("label", { for: ids.focus, text: "Focus (what the plan is for)" }), focus,
        h("label", { for: ids.period, text: "Plan period" }), select,
        h("div", { class: "row" }, [submit])
      ]);
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        if (submit.getAttribute("aria-disabled") === "true") return;
        var brief = focus.value.trim();
        if (brief.length < 8) { this.tell(said, "Describe what the plan is for in a sentence or two."); focus.focus(); return; }
        submit.setAttribute("aria-disabled", "true");
        this.tell(said, "Redrafting the plan…");
        var body = { brief: brief, horizon_months: Number(select.value) };
        if (area.value.trim()) body.ward = area.value.trim();
        fetch(this.api + "/api/plan", {
          method: "POST", mode: "cors", credentials: "omit", headers: this.headers(false, true), body: JSON.stringify(body)
        }).then(function (res) {
          return res.json().catch(function () { return {}; }).then(function (data) {
            if (!res.ok) throw new HttpError(res.status, data.error || "The plan could not be redrafted (error " + res.status + ").", 0);
            return data;
          });
        }).then((data) => {
          msg.data = Object.assign({}, msg.data, { plan: data, citations: data.citations || [] });
          this.finish(msg, msg.data, false);
          this.announce("Plan redrafted: " + (data.title || "action plan") + ".");
          this.save();
          var heading = msg.extra.parentNode && msg.el.querySelector(".plan h3");
          if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
        }).catch((err) => {
          submit.removeAttribute("aria-disabled");
          this.tell(said, err instanceof HttpError ? err.message : "The assistant could not be reached. Try again.");
        });
      });
      return form;
    }

    tell(el, text) {
      el.textContent = text;
      el.hidden = false;
    }

    downloadPlan(plan, button, said) {
      if (button.getAttribute("aria-disabled") === "true") return;
      button.setAttribute("aria-disabled", "true");
      this.tell(said, "Preparing the Word document…");
      fetch(this.api + "/api/plans/" + encodeURIComponent(plan.plan_id) + "/link", {
        method: "POST", mode: "cors", credentials: "omit", headers: this.headers(false, false)
      }).then(function (res) {
        if (!res.ok) throw new HttpError(res.status, res.status === 404 ? "This plan is no longer available: redraft it." : "The download could not be prepared (error " + res.status + ").", 0);
        return res.json();
      }).then((link) => {
        var a = h("a", { href: this.api + link.docx_url, download: "plan-" + plan.plan_id + ".docx", hidden: true });
        this.root.appendChild(a);
        a.click();
        this.root.removeChild(a);
        this.tell(said, "The Word document is downloading.");
      }).catch((err) => {
        this.tell(said, err instanceof HttpError ? err.message : "The assistant could not be reached. Try again.");
      }).then(function () { button.removeAttribute("aria-disabled"); });
    }

    finish(msg, data, live) {
      msg.data = data;
      msg.final = true;
      msg.text = data.answer || "";
      msg.el.removeAttribute("aria-busy");
      msg.state.hidden = true;
      var byN = {};
      (data.citations || []).forEach(function (c) { byN[c.n] = c; });
      var view = null;
      if (data.kind === "compare" && data.compare) view = this.renderCompare(msg, data.compare, byN);
      else if (data.kind === "plan" && data.plan) view = this.renderPlan(msg, data.plan, byN);
      if (view) {
        while (msg.body.firstChild) msg.body.removeChild(msg.body.firstChild);
        msg.body.appendChild(view);
        this.setAttribute("data-wide", "");
      } else {
        this.renderText(msg, msg.text, data.citations);
      }
      while (msg.extra.firstChild) msg.extra.removeChild(msg.extra.firstChild);
      var sources = this.renderSources(msg, data.citations, "Sources");
      if (!sources && data.related && data.related.length) {
        sources = this.renderSources(msg, data.related, "Related sources (they do not answer the question)");
      }
      if (sources) msg.extra.appendChild(sources);
      if (data.answer_id && data.status !== "refused_input") msg.extra.appendChild(this.actions(msg));
      if (live) {
        var n = (data.citations || []).length;
        var said = msg.text;
        if (data.kind === "compare" && data.compare) {
          said = "A comparison table of " + (data.compare.approaches || []).map(function (a) { return a.name; }).join(", ") +
            ", " + (data.compare.rows || []).length + " rows.";
        } else if (data.kind === "plan" && data.plan) {
          said = "A draft action plan: " + (data.plan.title || "") + ", " + (data.plan.priorities || []).length + " priorities.";
        }
        this.announce("Answer: " + said + (n ? " " + n + (n === 1 ? " source." : " sources.") : ""));
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
        method: "POST", mode: "cors", credentials: "omit", headers: this.headers(false, true),
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
    headers(stream, jsonBody) {
      var out = { Accept: stream ? "text/event-stream" : "application/json" };
      if (stream || jsonBody) out["Content-Type"] = "application/json";
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
