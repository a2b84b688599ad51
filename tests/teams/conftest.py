"""Fixtures for the Teams channel: a fake Bot Framework on loopback, settings pointing at it,
signed inbound activities, and a client for an app that includes the Teams router."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.history import History
from assistant.teams import router
from assistant.teams.auth import BotFrameworkAuth, BotFrameworkKeys

from .fake_botframework import FakeBotFramework, new_key
from .fakes import FakeAssistant

PUBLIC_BASE = "https://nbhd.example.org"
_ids = itertools.count(1)


@pytest.fixture(scope="session")
def bf_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture(scope="session")
def other_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture
def fake_bf(bf_key: rsa.RSAPrivateKey) -> Iterator[FakeBotFramework]:
    fake = FakeBotFramework(key=bf_key).start()
    yield fake
    fake.stop()


def teams_settings_for(fake: FakeBotFramework, base: Settings | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "teams_app_id": fake.app_id,
        "teams_app_password": fake.app_secret,
        "teams_tenant_id": fake.tenant,
        "teams_openid_metadata_url": fake.metadata_url,
        "teams_login_endpoint": fake.base_url,
        "teams_allowed_service_hosts": "127.0.0.1",
        "public_base_url": PUBLIC_BASE,
    }
    values.update(overrides)
    if base is not None:
        return Settings(**{**base.model_dump(), **values})
    return Settings(**values)


@pytest.fixture
def teams_settings(fake_bf: FakeBotFramework, tmp_path: Path) -> Settings:
    return teams_settings_for(fake_bf, data_dir=tmp_path / "data")


@pytest.fixture
def history(teams_settings: Settings) -> History:
    return History(teams_settings.db_url)


@pytest.fixture
def fake_assistant(history: History) -> FakeAssistant:
    return FakeAssistant(history)


MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(teams_settings: Settings, fake_assistant: FakeAssistant) -> Iterator[MakeClient]:
    clients: list[TestClient] = []

    def make(assistant: Any = None, settings: Settings | None = None, **router_kwargs: Any) -> TestClient:
        chosen = assistant or fake_assistant
        app = FastAPI()
        app.include_router(router.build_router(settings or teams_settings, lambda: chosen, **router_kwargs))
        client = TestClient(app)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def fast_refresh_auth(settings: Settings) -> BotFrameworkAuth:
    """Auth that may refetch keys at once on an unknown kid (production waits a minute between refetches)."""
    keys = BotFrameworkKeys(settings.teams_openid_metadata_url, httpx.Client(), min_refresh_s=0)
    return BotFrameworkAuth(settings.teams_app_id, keys)


def activity(
    fake: FakeBotFramework,
    text: str = "How many Neighbourhood Action Teams does Nottingham have?",
    *,
    kind: str = "personal",
    conversation_id: str | None = None,
    mention: bool = False,
    service_url: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A Teams message activity as the Bot Framework sends it."""
    conversation_id = (
        conversation_id
        or {
            "personal": "a:1personal-chat-with-alex",
            "groupChat": "19:group-chat-123@thread.v2",
            "channel": "19:general-channel@thread.tacv2;messageid=1700000000000",
        }[kind]
    )
    bot = {"id": f"28:{fake.app_id}", "name": "Neighbourhood Assistant"}
    body: dict[str, Any] = {
        "type": "message",
        "id": f"17000000{next(_ids):05d}",
        "timestamp": "2026-01-01T10:00:00.000Z",
        "serviceUrl": service_url or fake.service_url,
        "channelId": "msteams",
        "from": {"id": "29:alex-user-id", "name": "Alex Example", "aadObjectId": "aad-alex"},
        "conversation": {
            "id": conversation_id,
            "conversationType": kind,
            "tenantId": fake.tenant,
            "isGroup": kind != "personal",
        },
        "recipient": bot,
        "text": f"<at>Neighbourhood Assistant</at> {text}" if mention else text,
        "textFormat": "plain",
        "locale": "en-GB",
        "entities": [{"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Web"}],
        "channelData": {"tenant": {"id": fake.tenant}},
    }
    if mention:
        body["entities"].append(
            {"type": "mention", "mentioned": bot, "text": "<at>Neighbourhood Assistant</at>"}
        )
    if kind == "channel":
        body["channelData"].update(
            team={"id": "19:team-id@thread.tacv2"}, channel={"id": "19:general-channel@thread.tacv2"}
        )
    body.update(extra)
    return body


def feedback_invoke(
    fake: FakeBotFramework,
    reply_to: str,
    reaction: str = "dislike",
    text: str = "Missing the ward list",
    *,
    kind: str = "personal",
    conversation_id: str | None = None,
) -> dict[str, Any]:
    """The invoke Teams sends when someone gives an answer thumbs up/down (and writes a comment)."""
    body = activity(fake, kind=kind, conversation_id=conversation_id)
    body.update(
        type="invoke",
        name="message/submitAction",
        replyToId=reply_to,
        text=None,
        value={
            "actionName": "feedback",
            "actionValue": {"reaction": reaction, "feedback": f'{{"feedbackText":"{text}"}}'},
        },
    )
    return body


def post(
    client: TestClient,
    fake: FakeBotFramework,
    body: dict[str, Any],
    token: str | None = "sign",
    **sign_kwargs: Any,
) -> httpx.Response:
    """POST an activity, signed for its own serviceUrl unless ``token`` is given (None = no header)."""
    headers = {}
    if token == "sign":
        sign_kwargs.setdefault("service_url", body.get("serviceUrl"))
        token = fake.sign(**sign_kwargs)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/api/messages", json=body, headers=headers)
