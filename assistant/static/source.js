/* /source/{doc_id}?chunk=&quote= : the document at the cited passage, the quote highlighted. */
(function () {
  "use strict";
  var h = NB.h;

  function docId() {
    return decodeURIComponent(window.location.pathname.replace(/^\/source\//, ""));
  }

  function passageText(p) {
    var block = h("blockquote", { class: "passage", id: "passage", tabindex: "-1" });
    if (p.quote_start === null || p.quote_start === undefined) {
      block.appendChild(document.createTextNode(p.text));
      return block;
    }
    block.appendChild(document.createTextNode(p.text.slice(0, p.quote_start)));
    block.appendChild(h("mark", { id: "quote" }, [
      h("span", { class: "sr-only", text: "Cited passage starts: " }),
      p.text.slice(p.quote_start, p.quote_end),
      h("span", { class: "sr-only", text: " Cited passage ends." })
    ]));
    block.appendChild(document.createTextNode(p.text.slice(p.quote_end)));
    return block;
  }

  function meta(d) {
    var rows = [["Publisher", d.publisher], ["Type", (d.doc_type || "").replace(/_/g, " ")], ["Year", d.year],
      ["Place", d.place]];
    if (d.passage) rows.push(["Section", d.passage.section || "—"]);
    if (d.quote_page) rows.push(["Page", d.quote_page]);
    if (d.review_by) rows.push(["Review by", d.review_by]);
    var dl = h("dl", { class: "meta" });
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === "") return;
      dl.appendChild(h("dt", { text: r[0] }));
      dl.appendChild(h("dd", { text: String(r[1]) }));
    });
    var flags = [NB.status(d.status)];
    if (d.stale) flags.push(h("span", { class: "tag due", text: "Older evidence" }));
    if (d.evidence === "quantified") flags.push(h("span", { class: "tag info", text: "Quantified evidence" }));
    if (d.evidence === "descriptive") flags.push(h("span", { class: "tag info", text: "Descriptive evidence" }));
    if (d.ocr) flags.push(h("span", { class: "tag due", text: "Text read by OCR" +
      (d.ocr_confidence ? " (" + Math.round(d.ocr_confidence) + "% confidence)" : "") }));
    dl.appendChild(h("dt", { text: "Evidence" }));
    dl.appendChild(h("dd", null, flags));
    return dl;
  }

  function render(d) {
    var root = NB.clear(document.getElementById("source"));
    document.title = d.title + " – Neighbourhood Assistant";
    root.appendChild(h("h1", { text: d.title }));
    root.appendChild(meta(d));
    var links = [];
    if (d.file_url) links.push(h("a", { href: d.file_url, id: "original", text: "Open the original" +
      (d.quote_page ? " at page " + d.quote_page : "") }));
    if (d.url) links.push(h("a", { href: d.url, rel: "noopener noreferrer", text: "Publisher's web page" }));
    if (links.length) root.appendChild(h("p", { class: "actions" }, links));
    var quote = NB.params.get("quote");
    if (d.passage) {
      root.appendChild(h("h2", { text: quote && d.passage.quote_start !== null ? "The cited passage" : "Passage" }));
      if (quote && (d.passage.quote_start === null || d.passage.quote_start === undefined)) {
        root.appendChild(h("p", { class: "muted", text: "The quoted words were not found exactly in this passage; the passage is shown whole." }));
      }
      if (d.context && d.context.before) {
        root.appendChild(h("h3", { class: "sr-only", text: "Before the passage" }));
        root.appendChild(h("p", { class: "context", text: d.context.before.text }));
      }
      root.appendChild(passageText(d.passage));
      if (d.context && d.context.after) {
        root.appendChild(h("h3", { class: "sr-only", text: "After the passage" }));
        root.appendChild(h("p", { class: "context", text: d.context.after.text }));
      }
    } else if (quote) {
      root.appendChild(h("p", { class: "error", text: "The quoted passage is not in the current version of this document." }));
    }
    root.removeAttribute("aria-busy");
    var mark = document.getElementById("quote");
    if (mark) mark.scrollIntoView({ block: "center" });
    NB.announce("Showing " + d.title + (d.quote_page ? ", page " + d.quote_page : ""));
    NB.api("/api/documents/" + encodeURIComponent(d.doc_id)).then(function (doc) {
      if (!doc.sections || doc.sections.length < (d.passage ? 2 : 1)) return;
      root.appendChild(h("h2", { text: "Contents" }));
      var list = h("ul", { class: "plain" });
      doc.sections.forEach(function (s) {
        var href = "/source/" + encodeURIComponent(d.doc_id) + "?chunk=" + encodeURIComponent(s.chunk_id);
        list.appendChild(h("li", null, [h("a", { href: href, text: (s.section || "Start") + (s.page ? " (page " + s.page + ")" : "") })]));
      });
      root.appendChild(list);
    }).catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    var query = new URLSearchParams();
    if (NB.params.get("chunk")) query.set("chunk", NB.params.get("chunk"));
    if (NB.params.get("quote")) query.set("quote", NB.params.get("quote").slice(0, 1000));
    NB.api("/api/sources/" + encodeURIComponent(docId()) + "?" + query.toString()).then(render).catch(function (err) {
      var root = NB.clear(document.getElementById("source"));
      root.appendChild(h("h1", { text: err.status === 404 ? "Document not found" : "The source could not be shown" }));
      root.appendChild(h("p", { text: err.status === 404 ? "There is no document at this address that you can open." : err.message }));
      root.removeAttribute("aria-busy");
    });
  });
})();
