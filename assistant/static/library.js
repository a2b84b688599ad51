/* /library: the documents the caller may see, with search and filters (kept in the address,
 * so a filtered view can be bookmarked and works with the back button). */
(function () {
  "use strict";
  var h = NB.h;
  var FIELDS = ["q", "doc_type", "place", "year", "approach", "status"];
  var TYPES = { case_study: "Case study", board_report: "Board report", strategy: "Strategy", research: "Research",
    guidance: "Guidance", briefing: "Briefing", report: "Report", evaluation: "Evaluation" };

  function label(type) { return TYPES[type] || (type ? type.replace(/_/g, " ") : ""); }

  function fillSelect(id, values, current, show) {
    var select = document.getElementById(id);
    while (select.options.length > 1) select.remove(1);
    values.forEach(function (v) {
      var option = h("option", { value: String(v), text: show ? show(v) : String(v) });
      if (String(v) === current) option.selected = true;
      select.appendChild(option);
    });
  }

  function table(docs) {
    var head = ["Title", "Publisher", "Type", "Year", "Place", "Approaches", "Pages", "Passages", "Status", "Review by"];
    var rows = docs.map(function (d) {
      var title = d.source_url ? h("a", { href: d.source_url, text: d.title }) : h("span", { text: d.title });
      var status = [NB.status(d.status)];
      if (d.review_due) status.push(h("span", { class: "tag due", text: "Review due" }));
      return h("tr", null, [
        h("th", { scope: "row" }, [title]),
        h("td", { text: d.publisher || "" }),
        h("td", { text: label(d.doc_type) }),
        h("td", { text: d.year || "" }),
        h("td", { text: d.place || "" }),
        h("td", { text: (d.approaches || []).join(", ") }),
        h("td", { text: d.pages === null || d.pages === undefined ? "" : d.pages }),
        h("td", { text: d.chunks }),
        h("td", null, status),
        h("td", { text: d.review_by || "" })
      ]);
    });
    return h("table", null, [
      h("caption", { class: "sr-only", text: "Documents in the library" }),
      h("thead", null, [h("tr", null, head.map(function (t) { return h("th", { scope: "col", text: t }); }))]),
      h("tbody", null, rows)
    ]);
  }

  function load() {
    var params = new URLSearchParams(window.location.search);
    FIELDS.forEach(function (f) {
      var el = document.getElementById(f);
      if (el && el.tagName === "INPUT") el.value = params.get(f) || "";
    });
    var query = new URLSearchParams();
    FIELDS.forEach(function (f) { if (params.get(f)) query.set(f, params.get(f)); });
    var results = document.getElementById("results");
    results.setAttribute("aria-busy", "true");
    NB.api("/api/documents?" + query.toString()).then(function (data) {
      var f = data.facets;
      fillSelect("doc_type", f.doc_types, params.get("doc_type") || "", label);
      fillSelect("place", f.places, params.get("place") || "");
      fillSelect("year", f.years, params.get("year") || "");
      fillSelect("approach", f.approaches, params.get("approach") || "");
      fillSelect("status", f.statuses, params.get("status") || "", function (s) { return s.charAt(0).toUpperCase() + s.slice(1); });
      NB.clear(results);
      var n = data.documents.length;
      var text = n === 0 ? "No documents match." : n === 1 ? "1 document." : n + " documents.";
      document.getElementById("count").textContent = text;
      NB.announce(text);
      if (n) results.appendChild(table(data.documents));
      results.removeAttribute("aria-busy");
    }).catch(function (err) {
      NB.clear(results).appendChild(h("p", { class: "error", role: "alert", text: err.status === 401
        ? "Sign in to see the library." : err.message }));
      results.removeAttribute("aria-busy");
    });
    NB.api("/api/approaches").then(function (list) {
      var ul = NB.clear(document.getElementById("approaches"));
      list.forEach(function (a) {
        ul.appendChild(h("li", null, [h("a", { href: a.url, text: a.name }),
          " (" + a.documents + (a.documents === 1 ? " document)" : " documents)")]));
      });
      if (!list.length) ul.appendChild(h("li", { text: "None yet." }));
    }).catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("filters").addEventListener("submit", function (e) {
      e.preventDefault();
      var query = new URLSearchParams();
      FIELDS.forEach(function (f) {
        var v = document.getElementById(f).value.trim();
        if (v) query.set(f, v);
      });
      window.history.pushState(null, "", "/library" + (query.toString() ? "?" + query.toString() : ""));
      load();
    });
    window.addEventListener("popstate", load);
    load();
  });
})();
