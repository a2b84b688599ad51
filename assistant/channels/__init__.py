"""Channels: routers that turn their input into a ChatRequest and render an Answer.

    web.py    JSON + SSE endpoints, source previews, feedback, the widget assets
    teams.py  /api/messages for Microsoft Teams (optional; included when present)

What every channel shares lives here: the interface of the Assistant facade a
channel may use (``AssistantLike``) and the dependencies that hand the one
Assistant built in the app's lifespan to a handler (``AssistantDep``,
``SettingsDep``). Tests override ``get_assistant`` / ``get_settings_dep`` via
``app.dependency_overrides`` or simply pass ``create_app(settings, assistant=fake)``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from fastapi import Depends, HTTPException, Request

from assistant.config import Settings
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.types import Answer, ChatRequest

__all__ = [
    "AssistantDep",
    "AssistantLike",
    "SettingsDep",
    "get_assistant",
    "get_settings_dep",
]


class HistoryLike(Protocol):
    def add_feedback(self, answer_id: str, rating: str, reason: str | None, channel: str) -> None: ...

    def answer_exists(self, answer_id: str) -> bool: ...


class AssistantLike(Protocol):
    """What a channel may call on the Assistant facade (assistant/chat.py).

    ``compare(names, groups)`` and ``plan(brief, ward, groups)`` are optional:
    channels check with ``hasattr`` and answer 501 until they exist.
    ``kb`` is used read-only for source listings and cited-passage previews.
    """

    settings: Settings
    history: Any
    kb: Any

    def answer(self, request: ChatRequest) -> Answer: ...

    def stream(self, request: ChatRequest) -> Iterator[tuple[str, dict[str, Any]]]: ...

    def ready(self) -> dict[str, bool]: ...

    def warm_up(self) -> None: ...


RETRY_BUILD_SECONDS = 10.0
_build_lock = threading.Lock()


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_assistant(request: Request) -> AssistantLike:
    """The app's one Assistant; 503 with a clear message when it could not be built.

    If the lifespan failed to build it (e.g. the vector store was down), a request
    retries the build at most every ``RETRY_BUILD_SECONDS``.
    """
    state = request.app.state
    assistant: AssistantLike | None = getattr(state, "assistant", None)
    if assistant is not None:
        return assistant
    with _build_lock:
        assistant = getattr(state, "assistant", None)
        if assistant is not None:
            return assistant
        last = getattr(state, "assistant_build_attempt", 0.0)
        if time.monotonic() - last >= RETRY_BUILD_SECONDS:
            state.assistant_build_attempt = time.monotonic()
            try:
                from assistant.chat import build_assistant

                state.assistant = build_assistant(state.settings)
                state.startup_error = ""
                built: AssistantLike = state.assistant
                return built
            except AssistantError as exc:
                state.startup_error = str(exc)
    message = getattr(state, "startup_error", "") or "The assistant is starting; please try again shortly."
    raise HTTPException(status_code=503, detail=message)


AssistantDep = Annotated[AssistantLike, Depends(get_assistant)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
