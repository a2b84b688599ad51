"""``nbhd doctor [--json]``: the operator's view of what answers questions and how well.

Reports the active composer, whether the LLM endpoint answers (GET {base_url}/models,
short timeout), the model name, the index (documents, chunks, embedding model), and the
LLM composer's verification drop rate from ``<data_dir>/composer_stats.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from assistant.cli.common import JsonOpt, emit_json, friendly, settings

if TYPE_CHECKING:
    from assistant.config import Settings

__all__ = [
    "PROBE_TIMEOUT_S",
    "diagnose",
    "index_status",
    "probe_endpoint",
    "register",
    "verification_stats",
]

PROBE_TIMEOUT_S = 3.0


def probe_endpoint(settings: Settings, timeout: float = PROBE_TIMEOUT_S) -> dict[str, Any]:
    """Does the LLM endpoint answer? ``{"url", "reachable", "models", "error"}``."""
    import httpx

    base = (settings.llm_base_url or "").rstrip("/")
    headers: dict[str, str] = {}
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    if settings.llm_backend == "azure":
        url = f"{base}/openai/models?api-version={settings.llm_api_version}"
        if key:
            headers["api-key"] = key
    else:
        url = f"{base}/models"
        if key:
            headers["Authorization"] = f"Bearer {key}"
    out: dict[str, Any] = {"url": url, "reachable": False, "models": [], "error": ""}
    try:
        response = httpx.get(url, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        out["error"] = f"no answer within {timeout:g}s"
        return out
    except httpx.HTTPError as exc:
        out["error"] = f"unreachable ({type(exc).__name__})"
        return out
    out["status_code"] = response.status_code
    if response.status_code >= 400:
        out["error"] = f"HTTP {response.status_code}"
        return out
    out["reachable"] = True
    try:
        data = response.json().get("data", [])
        out["models"] = [str(m.get("id", "")) for m in data if isinstance(m, dict)]
    except (ValueError, AttributeError):
        pass
    return out


def index_status(settings: Settings) -> dict[str, Any]:
    from assistant.embeddings import MODEL_FAMILY

    model = MODEL_FAMILY if settings.embedding_backend != "hash" else "hash-embedder"
    out: dict[str, Any] = {
        "documents": 0,
        "chunks": 0,
        "embedding_model": model,
        "embedding_backend": settings.embedding_backend,
        "ok": False,
        "error": "",
    }
    try:
        from assistant.sources import list_sources

        rows = list_sources(settings)
    except Exception as exc:  # an index that can't be opened is what the doctor is for
        out["error"] = str(exc) or type(exc).__name__
        return out
    out.update(ok=True, documents=len(rows), chunks=sum(int(r["chunks"] or 0) for r in rows))
    return out


def verification_stats(settings: Settings) -> dict[str, Any]:
    from assistant.answer.composers.llm import read_stats

    stats = read_stats(settings.data_dir)
    written = int(stats.get("sentences_written", 0))
    kept = int(stats.get("sentences_kept", 0))
    last = stats.get("last") or {}
    last_written = int(last.get("written", 0))
    return {
        "answers": int(stats.get("answers", 0)),
        "sentences_written": written,
        "sentences_kept": kept,
        "drop_rate": round(1 - kept / written, 3) if written else None,
        "last_drop_rate": round(1 - int(last.get("kept", 0)) / last_written, 3) if last_written else None,
        "fallbacks": int(stats.get("fallbacks", 0)),
        "last_fallback_reason": stats.get("last_fallback_reason", ""),
        "last_fallback_at": stats.get("last_fallback_at", ""),
        "model": stats.get("model", ""),
    }


def diagnose(settings: Settings, probe: bool = True) -> dict[str, Any]:
    llm = bool(settings.llm_base_url)
    report: dict[str, Any] = {
        "composer": "llm" if llm else "extractive",
        "fallback": "extractive" if llm else None,
        "llm": None,
        "index": index_status(settings),
        "verification": verification_stats(settings),
    }
    if llm:
        report["llm"] = {
            "backend": settings.llm_backend,
            "base_url": settings.llm_base_url,
            "model": settings.llm_model,
            "condense": settings.llm_condense,
            "timeout_s": settings.llm_timeout_s,
            "endpoint": probe_endpoint(settings) if probe else None,
        }
    return report


def _print(report: dict[str, Any]) -> None:
    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1%}"

    typer.echo(
        f"composer:        {report['composer']}" + (" (falls back to extractive)" if report["llm"] else "")
    )
    llm = report["llm"]
    if llm:
        ep = llm["endpoint"] or {}
        state = "answers" if ep.get("reachable") else f"DOWN: {ep.get('error', '')}"
        typer.echo(f"endpoint:        {llm['base_url']} ({llm['backend']}) {state}")
        served = ", ".join(ep.get("models") or []) or "-"
        typer.echo(f"model:           {llm['model']} (served: {served})")
    idx = report["index"]
    if idx["ok"]:
        typer.echo(
            f"index:           {idx['documents']} documents, {idx['chunks']} chunks, {idx['embedding_model']}"
        )
    else:
        typer.echo(f"index:           unavailable: {idx['error']}")
    v = report["verification"]
    if v["sentences_written"]:
        typer.echo(
            f"verification:    drop rate {pct(v['drop_rate'])} overall"
            f" ({v['sentences_written']} sentences written, {v['sentences_kept']} kept,"
            f" {v['answers']} answers); last answer {pct(v['last_drop_rate'])}"
        )
        reason = v["last_fallback_reason"] or "-"
        typer.echo(f"fallbacks:       {v['fallbacks']} (last: {reason})")
    else:
        typer.echo("verification:    no LLM answers recorded yet")


def register(app: typer.Typer) -> None:
    @app.command()
    @friendly
    def doctor(as_json: JsonOpt = False) -> None:
        """Which composer answers, whether its endpoint is up, the index, the verifier's drop rate."""
        report = diagnose(settings())
        if as_json:
            emit_json(report)
        else:
            _print(report)
        llm = report["llm"]
        if not report["index"]["ok"] or (llm and not (llm["endpoint"] or {}).get("reachable")):
            raise typer.Exit(1)
