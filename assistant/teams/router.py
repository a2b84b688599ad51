"""``POST /api/messages`` for Microsoft Teams, on the same app and Assistant as the web API.

    app.include_router(build_router(settings, get_assistant))   # assistant/http/app.py does this

503 when ``NBHD_TEAMS_APP_ID`` is unset (there is no unauthenticated mode); otherwise the
bot (``assistant.teams.bot``) checks the token and answers. Error bodies are
``{"error": "..."}``, as everywhere in the API. Teams activities may be larger than the API's
other bodies: the app's body limit allows ``TEAMS_MAX_BODY_BYTES`` on this path.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from assistant.config import Settings
from assistant.teams.auth import BotFrameworkAuth
from assistant.teams.bot import GetAssistant, TeamsBot
from assistant.teams.connector import ConnectorClient

__all__ = ["NOT_CONFIGURED", "TEAMS_MAX_BODY_BYTES", "TEAMS_PATH", "build_router"]

log = logging.getLogger(__name__)

TEAMS_PATH = "/api/messages"
TEAMS_MAX_BODY_BYTES = 512_000
NOT_CONFIGURED = "Teams channel not configured"


def build_router(
    settings: Settings,
    get_assistant: GetAssistant,
    *,
    auth: BotFrameworkAuth | None = None,
    connector: ConnectorClient | None = None,
    stream_interval_s: float = 1.0,
) -> APIRouter:
    """The Teams router. ``auth``/``connector`` default to ones built from ``settings``."""
    router = APIRouter(tags=["teams"])
    bot = (
        TeamsBot(settings, get_assistant, auth=auth, connector=connector, stream_interval_s=stream_interval_s)
        if settings.teams_app_id
        else None
    )
    if bot is None:
        log.info("Teams channel disabled: NBHD_TEAMS_APP_ID is not set")

    @router.post(TEAMS_PATH, include_in_schema=False)
    async def messages(request: Request) -> Response:
        if bot is None:
            return JSONResponse({"error": NOT_CONFIGURED}, status_code=503)
        return await bot.receive(request)

    return router
