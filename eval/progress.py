"""A progress bar on stderr for the evaluation loops (or the bare sequence when disabled)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import TypeVar

from tqdm import tqdm

__all__ = ["progress"]

T = TypeVar("T")


def progress(items: Sequence[T], desc: str, enabled: bool) -> Iterable[T]:
    if not enabled:
        return items
    bar: Iterable[T] = tqdm(items, desc=desc, file=sys.stderr, unit="q", dynamic_ncols=True)
    return bar
