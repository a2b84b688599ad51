#!/usr/bin/env python3
"""Validate questions.jsonl against the documents in docs/.

Checks:
  * every line parses as a JSON object with the required keys for its type
  * ids are unique and of the form v-NNN
  * every fact regex compiles
  * every source is the stem of a file in docs/
  * every evidence span (whitespace collapsed) is found verbatim in one of the
    listed sources; for PDFs the span must sit within a single page
    (text from `pdftotext -layout` run page by page; pypdf is used as a
    fallback only if pdftotext is missing)
  * every fact group has at least one alternative that matches an evidence span
  * no fact group matches its own question text (nor, for follow-ups, the turns)
  * unanswerable items have empty facts, sources and evidence
  * docs/manifest.yaml lists every file in docs/ with the required fields

Usage:  python3 validate.py            (exit status 0 when everything passes)
        python3 validate.py -v         (also print per-item evidence locations)
"""
import html
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "docs")
QFILE = os.path.join(HERE, "questions.jsonl")
VERBOSE = "-v" in sys.argv

TYPES = {"factual", "unanswerable", "followup"}
DOC_TYPES = {"strategy", "board_report", "case_study", "research_report", "web_page", "guidance"}

# characters normalised before matching (typographic quotes, dashes, bullets, nbsp)
_TRANS = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "-", "\u00a0": " ",
    "\u2022": " ", "\uf0b7": " ", "\uf0a7": " ", "\u25cf": " ",
})


def norm(s):
    s = html.unescape(s).translate(_TRANS)
    return re.sub(r"\s+", " ", s).strip()


class _Text(HTMLParser):
    SKIP = {"script", "style", "head"}
    INLINE = {"a", "abbr", "acronym", "b", "i", "em", "strong", "span", "sup", "sub", "code", "small", "u"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        if tag not in self.INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        if tag not in self.INLINE:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_pages(path):
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    p = _Text()
    p.feed(raw)
    # the <title> sits in <head>; keep it too so title questions can be checked
    m = re.search(r"<title>(.*?)</title>", raw, re.S)
    title = m.group(1) if m else ""
    return [norm(title + " " + "".join(p.parts))]


def pdf_pages(path):
    if shutil.which("pdftotext") and shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
        n = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
        pages = []
        for i in range(1, n + 1):
            out = subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), path, "-"],
                                 capture_output=True, text=True, check=True).stdout
            pages.append(norm(out))
        return pages
    from pypdf import PdfReader  # fallback
    return [norm(pg.extract_text() or "") for pg in PdfReader(path).pages]


def load_docs():
    docs = {}
    for fn in sorted(os.listdir(DOCS)):
        path = os.path.join(DOCS, fn)
        stem, ext = os.path.splitext(fn)
        ext = ext.lower()
        if ext == ".pdf":
            docs[stem] = (fn, pdf_pages(path))
        elif ext in (".html", ".htm"):
            docs[stem] = (fn, html_pages(path))
        elif ext in (".txt", ".md"):
            with open(path, encoding="utf-8") as f:
                docs[stem] = (fn, [norm(f.read())])
    return docs


def check_manifest(docs, errors):
    path = os.path.join(DOCS, "manifest.yaml")
    if not os.path.exists(path):
        errors.append("docs/manifest.yaml missing")
        return
    try:
        import yaml
    except ImportError:
        print("WARNING: PyYAML not installed; manifest not checked")
        return
    with open(path, encoding="utf-8") as f:
        man = yaml.safe_load(f)
    listed = set()
    for d in man.get("documents", []):
        for k in ("file", "title", "publisher", "doc_type", "year", "place", "url"):
            if k not in d or d[k] in (None, ""):
                errors.append(f"manifest: {d.get('file')} lacks {k}")
        if d.get("doc_type") not in DOC_TYPES:
            errors.append(f"manifest: {d.get('file')} has bad doc_type {d.get('doc_type')}")
        if not os.path.exists(os.path.join(DOCS, str(d.get("file")))):
            errors.append(f"manifest: file {d.get('file')} not in docs/")
        listed.add(d.get("file"))
    for stem, (fn, _) in docs.items():
        if fn not in listed:
            errors.append(f"manifest: {fn} not listed")


def main():
    errors = []
    docs = load_docs()
    check_manifest(docs, errors)
    ids = set()
    counts, per_doc = Counter(), Counter()
    with open(QFILE, encoding="utf-8") as f:
        lines = [l for l in f.read().splitlines()]
    for ln, line in enumerate(lines, 1):
        if not line.strip():
            errors.append(f"line {ln}: blank line")
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"line {ln}: does not parse: {e}")
            continue
        if not isinstance(q, dict):
            errors.append(f"line {ln}: not an object")
            continue
        qid = q.get("id", f"<line {ln}>")
        if not re.fullmatch(r"v-\d{3}", str(q.get("id", ""))):
            errors.append(f"{qid}: id not of form v-NNN")
        if qid in ids:
            errors.append(f"{qid}: duplicate id")
        ids.add(qid)
        t = q.get("type")
        if t not in TYPES:
            errors.append(f"{qid}: bad type {t}")
            continue
        counts[t] += 1
        for k in ("question", "facts", "sources", "evidence", "must_pass", "acronym"):
            if k not in q:
                errors.append(f"{qid}: missing key {k}")
        if not isinstance(q.get("question"), str) or not q["question"].strip():
            errors.append(f"{qid}: empty question")
            continue
        if t == "followup":
            if not q.get("turns") or not all(isinstance(x, str) and x.strip() for x in q["turns"]):
                errors.append(f"{qid}: follow-up without turns")
        facts, sources, evidence = q.get("facts", []), q.get("sources", []), q.get("evidence", [])
        if t == "unanswerable":
            if facts or sources or evidence:
                errors.append(f"{qid}: unanswerable item must have empty facts/sources/evidence")
            if q.get("must_pass") is not False:
                errors.append(f"{qid}: unanswerable item should have must_pass false")
            if not q.get("notes"):
                errors.append(f"{qid}: unanswerable item lacks notes")
            continue
        if not facts or not sources or not evidence:
            errors.append(f"{qid}: answerable item needs facts, sources and evidence")
            continue
        # regexes compile
        compiled = []
        for gi, group in enumerate(facts):
            if not isinstance(group, list) or not group:
                errors.append(f"{qid}: fact group {gi} is not a non-empty list")
                continue
            cg = []
            for rx in group:
                try:
                    cg.append(re.compile(rx, re.I))
                except re.error as e:
                    errors.append(f"{qid}: regex {rx!r} does not compile: {e}")
            compiled.append((group, cg))
        # sources exist
        for s in sources:
            if s not in docs:
                errors.append(f"{qid}: source {s!r} is not a file stem in docs/")
            else:
                per_doc[s] += 1
        # evidence found verbatim within one page of a listed source
        ev_norm = []
        for ev in evidence:
            e = norm(ev)
            ev_norm.append(e)
            nw = len(e.split())
            if nw < 5 or nw > 15:
                errors.append(f"{qid}: evidence span has {nw} words (want 5-15): {ev!r}")
            hits = []
            for s in sources:
                if s not in docs:
                    continue
                fn, pages = docs[s]
                for pi, ptxt in enumerate(pages, 1):
                    if e in ptxt:
                        hits.append(f"{fn}" + (f" p.{pi}" if fn.lower().endswith(".pdf") else ""))
            if not hits:
                errors.append(f"{qid}: evidence not found in sources: {ev!r}")
            elif VERBOSE:
                print(f"{qid}: {ev[:60]!r} -> {', '.join(hits[:3])}")
        # each fact group matches some evidence span
        for group, cg in compiled:
            if not any(r.search(e) for r in cg for e in ev_norm):
                errors.append(f"{qid}: fact group {group} matches no evidence span")
        # no fact group matches the question (or the earlier turns)
        qtexts = [q["question"]] + list(q.get("turns", []))
        for group, cg in compiled:
            for r in cg:
                for qt in qtexts:
                    if r.search(qt):
                        errors.append(f"{qid}: fact regex {r.pattern!r} matches the question/turn text")
    print(f"{len(lines)} items: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    print("answerable items per document: " + ", ".join(f"{k}={v}" for k, v in sorted(per_doc.items())))
    if errors:
        print(f"\n{len(errors)} problem(s):")
        for e in errors:
            print("  - " + e)
        sys.exit(1)
    print("OK: all checks passed")


if __name__ == "__main__":
    main()
