"""What every `nbhd` command shares: the Typer app, error translation, JSON output."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.config import Settings

__all__ = ["F", "JsonOpt", "app", "emit_json", "friendly", "get_settings", "settings"]

# plain (click) help: rich's formatter costs ~0.2 s of `nbhd --help` on this machine
app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Neighbourhood Assistant", rich_markup_mode=None
)
F = TypeVar("F", bound=Callable[..., Any])

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def friendly(func: F) -> F:
    """Print AssistantError as one line and exit 1 (re-raised under pytest for clear failures)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AssistantError as exc:
            if os.environ.get("PYTEST_CURRENT_TEST") and os.environ.get("NBHD_RAISE"):
                raise
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def get_settings() -> Settings:
    # deferred: pydantic-settings costs ~0.2 s, and `nbhd --help` needs no settings
    from assistant.config import get_settings as load

    return load()


def settings() -> Settings:
    return get_settings()


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
