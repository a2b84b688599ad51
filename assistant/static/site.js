/* Shared by the library, source viewer, approach and admin pages: the header's navigation
 * (with sign-in state), a DOM builder that never parses data as HTML, and JSON fetches that
 * carry the session cookie. */
(function () {
  "use strict";
  var NB = (window.NB = {});

  NB.h = function (tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") el.textContent = String(v);
      else if (k === "on") Object.keys(v).forEach(function (ev) { el.addEventListener(ev, v[ev]); });
      else el.setAttribute(k, v === true ? "" : String(v));
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return el;
  };

  NB.api = function (path, options) {
    var opts = Object.assign({ credentials: "same-origin" }, options || {});
    opts.headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    return fetch(path, opts).then(function (res) {
      var type = res.headers.get("Content-Type") || "";
      var body = type.indexOf("json") >= 0 ? res.json() : Promise.resolve(null);
      return body.then(function (data) {
        if (!res.ok) {
          var err = new Error((data && data.error) || "The request failed (" + res.status + ").");
          err.status = res.status;
          throw err;
        }
        return data;
      });
    });
  };

  NB.params = new URLSearchParams(window.location.search);

  NB.clear = function (el) { while (el.firstChild) el.removeChild(el.firstChild); return el; };

  NB.announce = function (text) {
    var live = document.getElementById("announce");
    if (live) { live.textContent = ""; window.setTimeout(function () { live.textContent = text; }, 50); }
  };

  NB.status = function (value) {
    var labels = { current: "Current", superseded: "Superseded", withdrawn: "Withdrawn", queued: "Queued",
      processing: "Processing", indexed: "Indexed", failed: "Failed" };
    return NB.h("span", { class: "tag " + value, text: labels[value] || value });
  };

  NB.me = NB.api("/api/me").catch(function (err) {
    return { signed_in: false, admin: false, groups: ["public"], oidc: false, keys: err.status === 401, name: "" };
  });

  function nav(me) {
    var holder = document.getElementById("site-nav");
    if (!holder) return;
    var here = window.location.pathname;
    var links = [["/", "Chat"], ["/library", "Library"]];
    if (me.admin) links.push(["/admin", "Admin"]);
    var items = links.map(function (l) {
      var current = here === l[0] || (l[0] === "/library" && (here.indexOf("/source/") === 0 || here.indexOf("/approaches/") === 0));
      return NB.h("li", null, [NB.h("a", { href: l[0], "aria-current": current ? "page" : null, text: l[1] })]);
    });
    if (me.signed_in && me.via === "session") {
      items.push(NB.h("li", { class: "who", text: "Signed in" + (me.name ? " as " + me.name : "") }));
      items.push(NB.h("li", null, [NB.h("button", { type: "button", text: "Sign out", on: { click: function () {
        NB.api("/auth/logout", { method: "POST" }).then(function () { window.location.assign("/library"); });
      } } })]));
    } else if (!me.signed_in && (me.oidc || me.keys)) {
      items.push(NB.h("li", null, [NB.h("a", { href: "/signin?next=" + encodeURIComponent(here + window.location.search), text: "Sign in" })]));
    }
    holder.appendChild(NB.h("ul", null, items));
  }

  document.addEventListener("DOMContentLoaded", function () { NB.me.then(nav); });
})();
