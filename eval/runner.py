"""Evaluation runner: every question through the real Assistant, scored offline.

    summary = run_eval(settings, "eval/gold.jsonl", "eval/out", baseline_path="eval/baseline.json")

Writes ``results.jsonl`` (one object a question, ARCHITECTURE.md §3 plus per-item metrics), ``summary.json``
(aggregates overall, per type and for acronym items, bootstrap CIs, must-pass outcomes, the naive baseline's
aggregates and deltas against a baseline summary), ``report.md`` and ``report.html`` (PNG plots written to
``out_dir`` and embedded in the HTML as base64).

Compare / action-plan items: routed through ``route_item``. Today everything goes to ``Assistant.answer``;
once the Assistant gains ``compare`` / ``plan`` methods, add them to ``ROUTES`` (see there).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.retrieval import Query
from assistant.service import build_assistant
from assistant.types import ChatRequest
from eval.dataset import Item, load_questions
from eval.grounding import GroundingScorer
from eval.naive import NaivePipeline
from eval.peer import CAIRN_VERSION, FOLLOWUP_NOTE, CairnPeer, Peer, run_peer
from eval.progress import progress as _progress
from eval.report import write_reports
from eval.scoring import Row, clean, deltas, score_item, summarise

__all__ = ["ROUTES", "build_peers", "document_texts", "route_item", "run_assistant", "run_eval"]


# Hook for compare / action_plan items: type -> callable(assistant, item, request) returning an Answer-like
# object (status, answer, citations, passages, latency_ms, conversation_id, standalone_question). Empty
# today, so every item goes to ``Assistant.answer``. When the comparison/plan features land, register e.g.
#     ROUTES["compare"] = lambda a, item, req: a.compare(req)
ROUTES: dict[str, Callable[[Any, dict[str, Any], Any], Any]] = {}


def route_item(assistant: Any, item: Item, request: Any) -> Any:
    """The Answer for the final turn of ``item``: ``ROUTES[type]`` else ``Assistant.answer``."""
    handler = ROUTES.get(item.get("type", ""))
    if handler is not None:
        return handler(assistant, item, request)
    return assistant.answer(request)


def document_texts(assistant: Any, corpus_dir: Path | None) -> dict[str, str]:
    """doc_id -> ingested text (chunks rebuilt by char offsets) plus the corpus file, for quote checks."""
    snap = assistant.kb.snapshot()
    by_doc: dict[str, list[Any]] = {}
    for chunk in snap.chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    texts: dict[str, str] = {}
    for doc_id, chunks in by_doc.items():
        chunks.sort(key=lambda c: (c.char_start, c.ordinal))
        parts: list[str] = []
        end = 0
        for c in chunks:
            skip = max(0, end - c.char_start) if c.char_end else 0
            parts.append(c.text[skip:] if skip < len(c.text) else "")
            end = max(end, c.char_end or end)
        texts[doc_id] = "".join(parts) + "\n\n" + "\n\n".join(c.text for c in chunks)
    if corpus_dir and Path(corpus_dir).is_dir():
        for path in Path(corpus_dir).iterdir():
            if path.suffix in {".txt", ".md"}:
                texts[path.stem] = (
                    texts.get(path.stem, "") + "\n\n" + path.read_text(encoding="utf-8", errors="replace")
                )
    return texts


def run_assistant(
    settings: Any,
    items: Sequence[Item],
    scorer: GroundingScorer,
    progress: bool = True,
    assistant: Any = None,
) -> list[Row]:
    assistant = assistant or build_assistant(settings)
    assistant.warm_up()
    snap = assistant.kb.snapshot()
    if not snap.chunks:
        raise RuntimeError(
            f"the index in {getattr(settings, 'data_dir', '?')} is empty: run `nbhd ingest` first"
        )
    chunks_by_id = {c.id: c for c in snap.chunks}
    texts = document_texts(assistant, getattr(settings, "corpus_dir", None))
    known = set(texts) | {c.doc_id for c in snap.chunks}

    def chunk_text(citation: dict[str, Any]) -> str:
        chunk = chunks_by_id.get(citation.get("chunk_id", ""))
        return str(chunk.text) if chunk is not None else str(citation.get("quote", ""))

    rows = []
    for item in _progress(items, "assistant", progress):
        conversation_id = None
        try:
            for turn in item.get("turns") or []:
                prior = assistant.answer(ChatRequest(turn, conversation_id=conversation_id, channel="eval"))
                conversation_id = prior.conversation_id or conversation_id
            request = ChatRequest(item["question"], conversation_id=conversation_id, channel="eval")
            started = time.perf_counter()
            ans = route_item(assistant, item, request)
            latency = ans.latency_ms or (time.perf_counter() - started) * 1000
            status, text = str(ans.status), ans.answer
            citations = [c.to_json() for c in ans.citations]
            retrieved = [
                {
                    "doc_id": p.chunk.doc_id,
                    "page": p.chunk.page_start,
                    "section": p.chunk.section,
                    "score": round(float(p.score), 4),
                    "text": p.chunk.text,
                }
                for p in ans.passages
            ]
            standalone = ans.standalone_question
            # what `nbhd search -k 5` returns for the (standalone) question, same filters and audience
            searched = assistant.retriever.retrieve(
                Query(standalone or item["question"], request.filters, request.groups), k=5
            )
            searched_top5: str | None = "\n".join(p.chunk.text for p in searched)
        except Exception as exc:  # an error is a result, not a crash of the run
            searched_top5 = None
            status, text, citations, retrieved, latency, standalone = (
                "error",
                f"{type(exc).__name__}: {exc}",
                [],
                [],
                0.0,
                "",
            )
        row = score_item(
            item,
            status=status,
            answer=text,
            citations=citations,
            retrieved=retrieved,
            latency_ms=latency,
            known_doc_ids=known,
            doc_text=lambda d: texts.get(d, ""),
            chunk_text=chunk_text,
            scorer=scorer,
            searched_top5=searched_top5,
        )
        row["standalone_question"] = standalone
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- entry point


def build_peers(
    corpus_dir: Path, work_dir: Path, *, naive: bool, cairn: bool
) -> tuple[list[Peer], dict[str, str]]:
    """The peers asked (naive LangChain, cairn-assistant), each indexing ``corpus_dir`` under ``work_dir``,
    and the ones skipped with the reason (cairn-assistant not installed)."""
    peers: list[Peer] = []
    skipped: dict[str, str] = {}
    if naive:
        peers.append(NaivePipeline(corpus_dir, work_dir / "naive-index"))
    if cairn:
        try:
            peers.append(CairnPeer(corpus_dir, work_dir / "cairn"))
        except ImportError:
            skipped["cairn"] = f"cairn-assistant {CAIRN_VERSION} is not installed (pip install -e '.[dev]')"
    return peers, skipped


def run_eval(
    settings: Any,
    questions_path: str | Path,
    out_dir: str | Path,
    baseline_path: str | Path | None = None,
    progress: bool = True,
    naive: bool = True,
    assistant: Any = None,
    *,
    cairn: bool = True,
    split: str | None = None,
    peers: Sequence[Peer] | None = None,
    set_info: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the evaluation and write results.jsonl, summary.json, report.md, report.html into ``out_dir``.

    ``split`` keeps only the question file's items of that split. The peers are ``peers`` when given (built
    once for several runs over one corpus), else the naive pipeline and cairn-assistant as ``naive`` and
    ``cairn`` say, over ``settings.corpus_dir``; each writes ``results-<key>.jsonl`` and its summary section.
    ``set_info`` (name, role, ...) is recorded in the summary's ``run``.
    """
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items = load_questions(questions_path, split=split)
    scorer = GroundingScorer()
    rows = run_assistant(settings, items, scorer, progress=progress, assistant=assistant)
    assistant_s = time.perf_counter() - started

    skipped: dict[str, str] = {}
    if peers is None:
        peers, skipped = build_peers(Path(settings.corpus_dir), out, naive=naive, cairn=cairn)
    peer_rows = {peer.key: run_peer(peer, items, scorer, progress=progress) for peer in peers}

    summary: dict[str, Any] = {
        "run": {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "questions": str(questions_path),
            **({"split": split} if split else {}),
            **dict(set_info or {}),
            "n_items": len(items),
            "grounding_threshold": scorer.threshold,
            "assistant_seconds": round(assistant_s, 1),
            "peers": {peer.key: peer.label for peer in peers},
            **({"peers_skipped": skipped} if skipped else {}),
            **({"peer_note": FOLLOWUP_NOTE} if peers else {}),
        },
        **summarise(rows),
        "must_pass": {r["id"]: r["passed"] for r in rows if r.get("must_pass")},
        "items_passed": {r["id"]: r["passed"] for r in rows},
    }
    for key, these in peer_rows.items():
        summary[key] = summarise(these)
    baseline = None
    if baseline_path and Path(baseline_path).is_file():
        baseline = json.loads(Path(baseline_path).read_text(encoding="utf-8"))
        summary["baseline"] = {
            "path": str(baseline_path),
            "delta": deltas(summary["overall"], baseline.get("overall", {})),
        }
    summary["run"]["seconds"] = round(time.perf_counter() - started, 1)

    _write_rows(out / "results.jsonl", rows)
    for key, these in peer_rows.items():
        _write_rows(out / f"results-{key}.jsonl", these)
    (out / "summary.json").write_text(
        json.dumps(clean(summary), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_reports(out, summary, rows, baseline)
    return summary


def _write_rows(path: Path, rows: Sequence[Row]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
