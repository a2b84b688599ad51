"""``nbhd eval``: run the evaluation harness. Registered from assistant/cli.py with ``register(app)``.

nbhd eval [--questions FILE] [--out DIR] [--baseline FILE]     # one question file, as always
nbhd eval --set dev --set test [--out DIR]                      # registered sets (eval/sets.yaml)
nbhd eval --all-sets [--out DIR]                                # every registered set, and the overview
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

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
            Path | None, typer.Option("--questions", help="question file (JSONL; default eval/gold.jsonl)")
        ] = None,
        sets: Annotated[
            list[str] | None,
            typer.Option("--set", help="a registered question set (eval/sets.yaml); repeat for several"),
        ] = None,
        all_sets: Annotated[
            bool, typer.Option("--all-sets", help="every registered set, side by side in OUT/overview.md")
        ] = False,
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

        if sets or all_sets:
            if questions is not None or baseline is not None:
                _fail("--set/--all-sets run the registered sets; --questions and --baseline are for one file")
            _run_sets(Settings(), sets or [], all_sets, out, progress=progress, naive=naive, cairn=cairn)
            return
        _run_file(Settings(), questions or DEFAULT_QUESTIONS, out, baseline, progress, naive, cairn)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _run_file(
    settings: Any, questions: Path, out: Path, baseline: Path | None, progress: bool, naive: bool, cairn: bool
) -> None:
    from eval.runner import run_eval  # deferred: see eval_command
    from eval.scoring import HEADLINE

    if not questions.is_file():
        _fail(f"no question file at {questions}")
    # the committed baseline belongs to the gold set; another question file has none by default
    gold = questions.resolve() == DEFAULT_QUESTIONS.resolve()
    if baseline is None and gold and DEFAULT_BASELINE.is_file():
        baseline = DEFAULT_BASELINE
    if baseline is not None and not baseline.is_file():
        _fail(f"no baseline at {baseline}")
    try:
        summary = run_eval(
            settings, questions, out, baseline_path=baseline, progress=progress, naive=naive, cairn=cairn
        )
    except Exception as exc:  # one-line reason, non-zero exit
        _fail(f"evaluation failed: {type(exc).__name__}: {exc}")
    peers = list(summary["run"].get("peers") or {})
    typer.echo(f"{'metric':42} {'assistant':>10}" + "".join(f" {key:>10}" for key in peers))
    for key, label, _ in HEADLINE:
        values = [summary["overall"].get(key), *[summary[p]["overall"].get(key) for p in peers]]
        typer.echo(f"{label:42}" + "".join(f" {_f(v):>10}" for v in values))
    for reason in (summary["run"].get("peers_skipped") or {}).values():
        typer.echo(f"not run: {reason}")
    typer.echo(f"must-pass: {sum(summary['must_pass'].values())}/{len(summary['must_pass'])}")
    typer.echo(f"wrote {out}/results.jsonl, summary.json, report.md, report.html")


def _run_sets(
    settings: Any, names: list[str], all_sets: bool, out: Path, *, progress: bool, naive: bool, cairn: bool
) -> None:
    from eval.overview import render_markdown  # deferred: see eval_command
    from eval.sets import SetsError, load_sets, select
    from eval.suite import run_sets

    try:
        registered = load_sets()
        chosen = registered if all_sets else select(registered, names)
    except SetsError as exc:
        _fail(str(exc))
    try:
        overview = run_sets(settings, chosen, out, progress=progress, naive=naive, cairn=cairn)
    except Exception as exc:  # one-line reason, non-zero exit
        _fail(f"evaluation failed: {type(exc).__name__}: {exc}")
    typer.echo(render_markdown(overview))
    typer.echo(f"wrote {out}/overview.md, overview.json and " + ", ".join(f"{s.name}/" for s in chosen))


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
