/* /approaches/{key}: what an approach is, where it is used, its key documents. */
(function () {
  "use strict";
  var h = NB.h;
  document.addEventListener("DOMContentLoaded", function () {
    var key = decodeURIComponent(window.location.pathname.replace(/^\/approaches\//, ""));
    var root = document.getElementById("approach");
    NB.api("/api/approaches/" + encodeURIComponent(key)).then(function (a) {
      NB.clear(root);
      document.title = a.name + " – Neighbourhood Assistant";
      root.appendChild(h("h1", { text: a.name }));
      if (a.aliases && a.aliases.length) root.appendChild(h("p", { class: "muted", text: "Also called: " + a.aliases.join(", ") }));
      root.appendChild(h("h2", { text: "What it is" }));
      root.appendChild(h("p", { text: a.description || "The documents name this approach; read them for what it involves." }));
      root.appendChild(h("h2", { text: "Where" }));
      root.appendChild(h("p", { text: a.places && a.places.length ? a.places.join(", ") : "Not tied to one place." }));
      root.appendChild(h("h2", { text: "Key documents" }));
      var list = h("ol");
      (a.key_documents || []).forEach(function (d) {
        list.appendChild(h("li", null, [h("a", { href: d.source_url, text: d.title }),
          " " + [d.place, d.year].filter(Boolean).join(", ") +
          " — mentioned in " + d.mentions + (d.mentions === 1 ? " passage" : " passages")]));
      });
      root.appendChild(list);
      root.removeAttribute("aria-busy");
    }).catch(function (err) {
      NB.clear(root);
      root.appendChild(h("h1", { text: err.status === 404 ? "Approach not found" : "The approach could not be shown" }));
      root.appendChild(h("p", null, [h("a", { href: "/library", text: "Browse the library" })]));
      root.removeAttribute("aria-busy");
    });
  });
})();
