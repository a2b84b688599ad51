/* /admin (managing the library) and /signin. Every call goes to /api/admin/..., which answers
 * 403 to anyone who is not an admin: this page only shows what the API allows. */
(function () {
  "use strict";
  var h = NB.h;
  var REASONS = { wrong: "Wrong", incomplete: "Incomplete", wrong_source: "Not the right source",
    out_of_date: "Out of date", other: "Other" };
  var pollTimer = null;

  function table(caption, head, rows) {
    return h("table", null, [
      h("caption", { text: caption }),
      h("thead", null, [h("tr", null, head.map(function (t) { return h("th", { scope: "col", text: t }); }))]),
      h("tbody", null, rows)
    ]);
  }

  function when(iso) { return iso ? iso.replace("T", " ").replace(/\+00:00$/, " UTC") : ""; }

  function message(el, text, ok) {
    el.className = (ok ? "ok" : "error") + " wide";
    el.textContent = text;
  }

  // --- sign-in page
  function signin() {
    var next = NB.params.get("next") || (window.location.pathname === "/admin" ? "/admin" : "/library");
    NB.me.then(function (me) {
      if (window.location.pathname === "/admin") {
        document.getElementById("signin-reason").textContent = me.signed_in
          ? "You are signed in, but not as an admin: managing the library needs an admin account."
          : "Managing the library needs an admin account. Sign in first.";
      }
      if (me.oidc) {
        document.getElementById("signin-oidc").hidden = false;
        document.getElementById("oidc-link").setAttribute("href", "/auth/login?next=" + encodeURIComponent(next));
      }
      if (me.keys) document.getElementById("signin-key").hidden = false;
      if (!me.oidc && !me.keys) document.getElementById("signin-none").hidden = false;
    });
    var form = document.getElementById("signin-key");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var error = document.getElementById("signin-error");
      error.hidden = true;
      NB.api("/auth/key", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ key: document.getElementById("key").value }) })
        .then(function () { window.location.assign(next); })
        .catch(function (err) { error.textContent = err.message; error.hidden = false; });
    });
  }

  // --- jobs
  function jobRow(j) {
    var state = [NB.status(j.state)];
    if (j.state === "processing") {
      var pct = Math.round(j.progress * 100);
      state.push(h("progress", { max: "100", value: String(pct), "aria-label": "Progress of " + j.doc_id }));
      state.push(" " + pct + "% " + (j.stage || ""));
    }
    return h("tr", { "data-job": j.job_id }, [
      h("td", { text: j.file_name || "" }),
      h("th", { scope: "row", text: j.doc_id }),
      h("td", { text: j.action }),
      h("td", null, state),
      h("td", { text: j.state === "failed" ? j.reason : j.state === "indexed" ? j.chunks + " passages" : "" }),
      h("td", { text: when(j.updated_at) })
    ]);
  }

  function loadJobs() {
    return NB.api("/api/admin/jobs").then(function (jobs) {
      var holder = NB.clear(document.getElementById("jobs"));
      if (!jobs.length) { holder.appendChild(h("p", { text: "No documents uploaded here yet." })); return false; }
      holder.appendChild(table("Indexing jobs, newest first", ["File", "Document", "Action", "State", "Result", "Updated"],
        jobs.slice(0, 30).map(jobRow)));
      return jobs.some(function (j) { return j.state === "queued" || j.state === "processing"; });
    });
  }

  function poll() {
    window.clearTimeout(pollTimer);
    loadJobs().then(function (active) {
      if (!active && poll.wasActive) { loadDocs(); loadAudit(); loadFeedback(); NB.announce("Indexing finished."); }
      poll.wasActive = active;
      pollTimer = window.setTimeout(poll, active ? 1000 : 5000);
    }).catch(function () { pollTimer = window.setTimeout(poll, 5000); });
  }

  // --- documents
  function editForm(d) {
    var id = "edit-" + d.doc_id.replace(/[^A-Za-z0-9_-]/g, "_");
    function field(name, label, value, type) {
      return h("div", null, [h("label", { for: id + "-" + name, text: label }),
        h("input", { type: type || "text", id: id + "-" + name, name: name, value: value || "" })]);
    }
    var status = h("select", { id: id + "-status", name: "status" }, ["current", "superseded"].map(function (s) {
      return h("option", { value: s, selected: d.status === s, text: s.charAt(0).toUpperCase() + s.slice(1) });
    }));
    var result = h("p", { role: "status", class: "wide" });
    var form = h("form", { class: "inline-form", "aria-label": "Edit " + d.title }, [
      field("title", "Title", d.title), field("audience", "Audience", d.audience),
      h("div", null, [h("label", { for: id + "-status", text: "Status" }), status]),
      field("review_by", "Review by", d.review_by, "date"),
      h("div", null, [h("button", { type: "submit", class: "secondary", text: "Save changes" })]), result
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var data = new FormData(form);
      NB.api("/api/admin/documents/" + encodeURIComponent(d.doc_id), { method: "PUT", body: data })
        .then(function (out) { message(result, out.job ? "Saved: re-indexing." : "Saved.", true); poll(); loadDocs(); })
        .catch(function (err) { message(result, err.message, false); });
    });
    return h("details", null, [h("summary", { text: "Edit details" }), form]);
  }

  function replaceForm(d) {
    var id = "replace-" + d.doc_id.replace(/[^A-Za-z0-9_-]/g, "_");
    var result = h("p", { role: "status", class: "wide" });
    var form = h("form", { class: "inline-form", "aria-label": "Replace " + d.title }, [
      h("div", { class: "wide" }, [h("label", { for: id, text: "New version of " + d.title }),
        h("input", { type: "file", id: id, name: "file", required: true })]),
      h("div", null, [h("button", { type: "submit", class: "secondary", text: "Replace" })]), result
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      NB.api("/api/admin/documents/" + encodeURIComponent(d.doc_id), { method: "PUT", body: new FormData(form) })
        .then(function () { message(result, "Uploaded: indexing the new version.", true); poll(); })
        .catch(function (err) { message(result, err.message, false); });
    });
    return h("details", null, [h("summary", { text: "Replace file" }), form]);
  }

  function withdrawButton(d) {
    return h("button", { type: "button", class: "danger", text: "Withdraw", "aria-label": "Withdraw " + d.title,
      on: { click: function () {
        if (!window.confirm("Withdraw “" + d.title + "”? It will no longer be used in answers.")) return;
        NB.api("/api/admin/documents/" + encodeURIComponent(d.doc_id), { method: "DELETE" })
          .then(function () { NB.announce(d.title + " withdrawn."); loadDocs(); loadAudit(); })
          .catch(function (err) { window.alert(err.message); });
      } } });
  }

  function loadDocs() {
    return NB.api("/api/documents").then(function (data) {
      var rows = data.documents.map(function (d) {
        var title = d.source_url ? h("a", { href: d.source_url, text: d.title }) : h("span", { text: d.title });
        var actions = d.status === "withdrawn" ? [h("span", { class: "muted", text: "Withdrawn " + when(d.withdrawn_at) })]
          : [editForm(d), replaceForm(d), withdrawButton(d)];
        return h("tr", null, [
          h("th", { scope: "row" }, [title, h("br"), h("span", { class: "muted", text: d.doc_id })]),
          h("td", { text: d.audience || "public" }),
          h("td", null, [NB.status(d.status)].concat(d.review_due ? [h("span", { class: "tag due", text: "Review due" })] : [])),
          h("td", { text: d.review_by || "" }),
          h("td", { text: d.chunks }),
          h("td", null, [h("div", { class: "actions" }, actions)])
        ]);
      });
      NB.clear(document.getElementById("docs")).appendChild(
        table("Every document, all audiences", ["Document", "Audience", "Status", "Review by", "Passages", "Actions"], rows));
    });
  }

  // --- feedback and gaps
  function loadFeedback() {
    return NB.api("/api/admin/feedback").then(function (f) {
      var root = NB.clear(document.getElementById("feedback"));
      root.appendChild(h("h3", { text: "What users said" }));
      if (!f.feedback.length) root.appendChild(h("p", { text: "No feedback yet." }));
      else root.appendChild(h("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-label": "Feedback, newest first" }, [table("Feedback, newest first",
        ["When", "Rating", "Reason", "Comment", "Question", "Cited", "Evaluation"],
        f.feedback.slice(0, 100).map(function (r) {
          var result = h("span", { role: "status" });
          var button = h("button", { type: "button", class: "secondary", text: "Make evaluation item",
            "aria-label": "Make evaluation item from: " + r.question, on: { click: function () {
              NB.api("/api/admin/eval-candidates", { method: "POST", headers: { "Content-Type": "application/json" },
                body: JSON.stringify({ answer_id: r.answer_id }) })
                .then(function (out) { result.textContent = " Written as " + out.item.id + " for review."; })
                .catch(function (err) { result.textContent = " " + err.message; });
            } } });
          return h("tr", null, [
            h("td", { text: when(r.created_at) }),
            h("td", { text: r.rating === "up" ? "Helpful" : "Not helpful" }),
            h("td", { text: REASONS[r.category] || "" }),
            h("td", { text: r.comment || "" }),
            h("th", { scope: "row", text: r.question }),
            h("td", { text: (r.citations || []).map(function (c) { return c.title || c.doc_id; }).join("; ") }),
            h("td", null, [button, result])
          ]);
        }))]));
      root.appendChild(h("h3", { text: "Questions the assistant declined (the library's gaps)" }));
      if (!f.declined.length) root.appendChild(h("p", { text: "None declined yet." }));
      else root.appendChild(h("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-label": "Declined questions, grouped" }, [table("Declined questions, grouped", ["Question", "Times asked", "Similar questions"],
        f.declined.slice(0, 50).map(function (g) {
          return h("tr", null, [h("th", { scope: "row", text: g.question }), h("td", { text: g.count }),
            h("td", { text: g.examples.slice(1).join(" · ") })]);
        }))]));
      root.appendChild(h("h3", { text: "Documents most cited" }));
      var most = h("ol");
      f.most_cited.forEach(function (d) { most.appendChild(h("li", { text: d.title + " (" + d.answers + " answers)" })); });
      root.appendChild(f.most_cited.length ? most : h("p", { text: "No answers have cited a document yet." }));
      root.appendChild(h("h3", { text: "Documents never cited" }));
      var never = h("ul", { class: "plain" });
      f.never_cited.forEach(function (d) { never.appendChild(h("li", { text: d.title })); });
      root.appendChild(f.never_cited.length ? never : h("p", { text: "Every document has been cited." }));
    });
  }

  function loadAudit() {
    return NB.api("/api/admin/audit").then(function (rows) {
      NB.clear(document.getElementById("audit")).appendChild(table("Who did what, newest first",
        ["When", "Who", "Action", "Document", "File hash (SHA-256)", "Detail"],
        rows.slice(0, 100).map(function (r) {
          return h("tr", null, [h("td", { text: when(r.at) }), h("td", { text: r.actor }), h("td", { text: r.action }),
            h("td", { text: r.doc_id }), h("td", null, [h("code", { text: r.file_sha256 ? r.file_sha256.slice(0, 16) + "…" : "" })]),
            h("td", { text: r.detail })]);
        })));
    });
  }

  function admin() {
    var form = document.getElementById("upload");
    var result = document.getElementById("upload-result");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var data = new FormData(form);
      ["doc_id", "title", "publisher", "doc_type", "year", "place", "url", "models", "review_by"].forEach(function (k) {
        if (!String(data.get(k) || "").trim()) data.delete(k);
      });
      var button = document.getElementById("up-submit");
      button.disabled = true;
      message(result, "Uploading…", true);
      NB.api("/api/admin/documents", { method: "POST", body: data }).then(function (out) {
        message(result, "Uploaded “" + out.job.file_name + "”: indexing as " + out.job.doc_id + ". Progress is shown below.", true);
        form.reset();
        poll();
      }).catch(function (err) {
        message(result, err.message, false);
      }).then(function () { button.disabled = false; });
    });
    poll();
    loadDocs();
    loadFeedback();
    loadAudit();
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.getElementById("upload")) admin();
    if (document.getElementById("signin-key")) signin();
  });
})();
