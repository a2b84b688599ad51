"""``nbhd eval``: run the evaluation harness. Registered from assistant/cli.py with ``register(app)``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["DEFAULT_BASELINE", "DEFAULT_OUT", "DEFAULT_QUESTIONS", "register"]

EVAL_DIR = Path(__file__).resolve().parent
DEFAULT_QUESTIONS = EVAL_DIR / "gold.jsonl"
DEFAULT_OUT = EVAL_DIR / "out"
DEFAULT_BASELINE = EVAL_DIR / "baseline.json"


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_command(
        questions: Annotated[
            Path, typer.Option("--questions", help="question file (JSONL)")
        ] = DEFAULT_QUESTIONS,
        out: Annotated[Path, typer.Option("--out", help="output directory")] = DEFAULT_OUT,
        baseline: Annotated[
            Path | None,
            typer.Option(
                "--baseline", help="summary.json to compare with (default: eval/baseline.json, gold set only)"
            ),
        ] = None,
        naive: Annotated[
            bool, typer.Option("--naive/--no-naive", help="also evaluate the naive LangChain baseline")
        ] = True,
        cairn: Annotated[
            bool,
            typer.Option("--cairn/--no-cairn", help="also evaluate the peer cairn-assistant (dev extra)"),
        ] = True,
        progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    ) -> None:
        """Run every question through the assistant and write results.jsonl, summary.json and the reports."""
        # deferred: this module is imported on every `nbhd` start; the harness loads only for `nbhd eval`
        from assistant.config import Settings
        from eval.runner import run_eval
        from eval.scoring import HEADLINE

        if not questions.is_file():
            typer.echo(f"error: no question file at {questions}", err=True)
            raise typer.Exit(1)
        # the committed baseline belongs to the gold set; another question file has none by default
        gold = questions.resolve() == DEFAULT_QUESTIONS.resolve()
        if baseline is None and gold and DEFAULT_BASELINE.is_file():
            baseline = DEFAULT_BASELINE
        if baseline is not None and not baseline.is_file():
            typer.echo(f"error: no baseline at {baseline}", err=True)
            raise typer.Exit(1)
        settings = Settings()
        try:
            summary = run_eval(
                settings, questions, out, baseline_path=baseline, progress=progress, naive=naive, cairn=cairn
            )
        except Exception as exc:  # one-line reason, non-zero exit
            typer.echo(f"error: evaluation failed: {type(exc).__name__}: {exc}", err=True)
            raise typer.Exit(1) from None
        peers = list(summary["run"].get("peers") or {})
        typer.echo(f"{'metric':42} {'assistant':>10}" + "".join(f" {key:>10}" for key in peers))
        for key, label, _ in HEADLINE:
            values = [summary["overall"].get(key), *[summary[p]["overall"].get(key) for p in peers]]
            typer.echo(f"{label:42}" + "".join(f" {_f(v):>10}" for v in values))
        for reason in (summary["run"].get("peers_skipped") or {}).values():
            typer.echo(f"not run: {reason}")
        typer.echo(f"must-pass: {sum(summary['must_pass'].values())}/{len(summary['must_pass'])}")
        typer.echo(f"wrote {out}/results.jsonl, summary.json, report.md, report.html")


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
