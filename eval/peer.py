"""Peers: other question-answering systems run on the same questions and scored by the same metrics.

A peer is anything with a ``key`` (its summary.json section and ``results-<key>.jsonl``), a ``label`` (its
report column), ``texts`` (doc_id -> text, for the verbatim-quote check and the known doc ids) and
``answer(question) -> PeerAnswer``. Peers have no conversation: a follow-up item is asked its last question
only. Two peers exist: the naive LangChain pipeline (``eval/naive.py``) and cairn-assistant (here).

**cairn-assistant 0.3.0** (PyPI; Apache-2.0): TF-IDF cosine over blank-line paragraphs, the document title
weighted into every passage, an answer made of the best passage verbatim, and a refusal when no passage
scores at least 0.165. Its defaults are used unchanged (``cairn.config.Config()``; one passage, eight
candidates, English). It reads only Markdown files with a front-matter block, so it is given the same files
the assistant ingests as the text our own loaders make of them (``ingest.loaders.load``): one Markdown file a
document, titled from the folder's ``manifest.yaml``, one paragraph a loader block, headings as ``#`` lines
(which cairn folds into the paragraph after them). The heading marks are taken off again in the answer and
quotes we score.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import yaml

from eval.dataset import Item
from eval.grounding import GroundingScorer
from eval.progress import progress as progress_bar
from eval.scoring import Row, score_item
from ingest.loaders import SUPPORTED_EXTENSIONS, load

__all__ = [
    "CAIRN_VERSION",
    "FOLLOWUP_NOTE",
    "CairnPeer",
    "Peer",
    "PeerAnswer",
    "SourceDocument",
    "corpus_files",
    "read_corpus",
    "run_peer",
]

CAIRN_VERSION = "0.3.0"
FOLLOWUP_NOTE = "peers have no conversation: a follow-up item is asked its last question only"
MAX_BYTES = 50 * 1024 * 1024  # the assistant's default NBHD_MAX_FILE_MB
_SKIP = frozenset({"manifest.yaml", "manifest.yml", "readme.md"})


class PeerAnswer(NamedTuple):
    """What a peer says: status (``answered`` | ``no_answer``), text, citations, ranked passages, latency."""

    status: str
    answer: str
    citations: list[dict[str, Any]]
    retrieved: list[dict[str, Any]]
    latency_ms: float


class Peer(Protocol):
    key: str
    label: str

    @property
    def texts(self) -> Mapping[str, str]: ...

    def answer(self, question: str) -> PeerAnswer: ...


# --------------------------------------------------------------------------- the documents


@dataclass(frozen=True)
class SourceDocument:
    doc_id: str
    title: str
    text: str  # the loader's cleaned text
    raw: str  # a .txt/.md file as it is ("" for other formats)
    blocks: tuple[tuple[str, int, str], ...]  # (kind, heading level, text) in order


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The files ``nbhd ingest FOLDER`` would take: supported extensions, hidden files, manifest and README
    skipped, sub-folders included."""
    found = []
    for path in sorted(Path(corpus_dir).rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts) or path.name.lower() in _SKIP:
            continue
        if path.is_file() and path.suffix.lower() in SUPPORTED_EXTENSIONS:
            found.append(path)
    return found


def _titles(corpus_dir: Path) -> dict[str, str]:
    manifest = Path(corpus_dir) / "manifest.yaml"
    if not manifest.is_file():
        return {}
    data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    return {
        Path(str(doc["file"])).stem: str(doc.get("title") or "")
        for doc in data.get("documents") or []
        if isinstance(doc, dict) and doc.get("file")
    }


def read_corpus(corpus_dir: Path) -> list[SourceDocument]:
    """Every document of ``corpus_dir`` as our loaders read it; a file they refuse is left out."""
    titles = _titles(corpus_dir)
    docs = []
    for path in corpus_files(corpus_dir):
        try:
            loaded = load(path, MAX_BYTES)
        except Exception:  # a file the assistant cannot ingest is not in its index either
            continue
        raw = (
            path.read_text(encoding="utf-8", errors="replace")
            if path.suffix.lower() in {".txt", ".md"}
            else ""
        )
        blocks = tuple((b.kind, b.level, b.text) for b in loaded.blocks if b.text.strip())
        docs.append(SourceDocument(path.stem, titles.get(path.stem) or path.stem, loaded.text, raw, blocks))
    return docs


# --------------------------------------------------------------------------- running a peer


def run_peer(peer: Peer, items: Sequence[Item], scorer: GroundingScorer, progress: bool = True) -> list[Row]:
    """Ask ``peer`` every item's last question and score each answer like the assistant's."""
    texts = peer.texts
    known = set(texts)
    rows = []
    for item in progress_bar(items, peer.key, progress):
        said = peer.answer(item["question"])
        rows.append(
            score_item(
                item,
                status=said.status,
                answer=said.answer,
                citations=said.citations,
                retrieved=said.retrieved,
                latency_ms=said.latency_ms,
                known_doc_ids=known,
                doc_text=lambda d: texts.get(d, ""),
                chunk_text=lambda c: str(c.get("quote", "")),
                scorer=scorer,
            )
        )
    return rows


# --------------------------------------------------------------------------- cairn-assistant

_CAIRN_ID = re.compile(r"^[A-Za-z][A-Za-z0-9._:-]*$")  # cairn.corpus.DOC_ID
_HEADING_MARK = re.compile(r"(?m)^#{1,6} ")


def _cairn_id(doc_id: str) -> str:
    if _CAIRN_ID.match(doc_id):
        return doc_id
    return "d-" + re.sub(r"[^A-Za-z0-9._:-]", "-", doc_id)


def _markdown(doc: SourceDocument, cairn_id: str) -> str:
    title = " ".join(doc.title.split())
    parts = []
    for kind, level, text in doc.blocks:
        if kind == "heading":
            parts.append("#" * min(max(level, 1), 6) + " " + " ".join(text.split()))
        else:
            parts.append(text.strip().replace("\n\n", "\n"))
    return f"---\nid: {cairn_id}\ntitle: {title}\nlang: en\n---\n\n" + "\n\n".join(parts) + "\n"


class CairnPeer:
    """cairn-assistant over the same documents (see the module docstring)."""

    key = "cairn"
    label = f"cairn-assistant {CAIRN_VERSION}"

    def __init__(self, corpus_dir: Path, work_dir: Path) -> None:
        # deferred: cairn-assistant is in the dev extra; without it this peer is skipped, not the run
        from cairn.config import Config
        from cairn.engine import ask
        from cairn.index import build_index

        self._ask = ask
        docs = read_corpus(Path(corpus_dir))
        if not docs:
            raise ValueError(f"no documents to give cairn-assistant in {corpus_dir}")
        folder = Path(work_dir) / "corpus"
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.md"):
            old.unlink()
        self._doc_id: dict[str, str] = {}
        self._texts: dict[str, str] = {}
        for doc in docs:
            cairn_id = _cairn_id(doc.doc_id)
            self._doc_id[cairn_id] = doc.doc_id
            self._texts[doc.doc_id] = doc.text + "\n\n" + doc.raw
            (folder / f"{cairn_id}.md").write_text(_markdown(doc, cairn_id), encoding="utf-8")
        self.index = build_index(folder)
        self.config = Config(corpus_path=str(folder), index_path=str(Path(work_dir) / "index.json"))

    @property
    def texts(self) -> Mapping[str, str]:
        return self._texts

    def answer(self, question: str) -> PeerAnswer:
        started = time.perf_counter()
        result = self._ask(question, self.index, self.config, lang="en")
        latency = (time.perf_counter() - started) * 1000
        ranked = result.attempts[0].trace.candidates if result.attempts else ()
        retrieved = [
            {
                "doc_id": self._doc_id.get(c.passage.doc_id, c.passage.doc_id),
                "page": None,
                "section": "",
                "score": round(float(c.score), 4),
                "text": _HEADING_MARK.sub("", c.passage.text),
            }
            for c in ranked
        ]
        answer = result.answer
        if answer.kind != "grounded":
            return PeerAnswer("no_answer", answer.text, [], retrieved, latency)
        citations = []
        for n, source in enumerate(answer.sources, 1):
            doc_id = self._doc_id.get(source.source_id.rsplit("#", 1)[0], source.source_id)
            citations.append(
                {
                    "n": n,
                    "doc_id": doc_id,
                    "title": source.title,
                    "year": None,
                    "page": None,
                    "section": "",
                    "quote": _HEADING_MARK.sub("", source.text),
                    "chunk_id": source.source_id,
                }
            )
        text = "\n\n".join(str(c["quote"]) for c in citations)
        return PeerAnswer("answered", text, citations, retrieved, latency)
