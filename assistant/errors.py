"""The errors the product raises, and the texts users see.

    AssistantError                 base: has a user-facing message
    ├── ConfigError                bad or unsafe settings
    ├── IndexError_                the index cannot be opened or used
    │   └── ModelMismatchError     index built with another embedding model
    ├── StoreUnavailableError      the vector store (e.g. a Chroma server) does not answer
    ├── IngestError                one file could not be ingested (batch work carries on)
    └── ComposerError              an LLM backend failed (the pipeline falls back)

Channels translate these at the boundary: the CLI prints the message and exits
non-zero, HTTP returns a JSON error without a stack trace.
"""

from __future__ import annotations

__all__ = [
    "AssistantError",
    "ComposerError",
    "ConfigError",
    "IndexError_",
    "IngestError",
    "ModelMismatchError",
    "StoreUnavailableError",
]


class AssistantError(Exception):
    """Base class. ``str(err)`` is safe to show to a user."""


class ConfigError(AssistantError):
    pass


class IndexError_(AssistantError):  # noqa: N801 - avoid shadowing the builtin
    pass


class ModelMismatchError(IndexError_):
    pass


class StoreUnavailableError(AssistantError):
    pass


class IngestError(AssistantError):
    """One file failed. ``reason`` is a short phrase for the summary table."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ComposerError(AssistantError):
    pass
