"""Outbound: the serviceUrl allow-list, tokens, retries and backoff (against the fake service)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from assistant.teams.connector import (
    ClientCredentialsToken,
    ConnectorClient,
    ConnectorError,
    ManagedIdentityToken,
    ServiceUrlNotAllowedError,
    check_service_url,
)

from .fake_botframework import FakeBotFramework

MESSAGE = {"type": "message", "text": "hello"}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def make_connector(
    fake: FakeBotFramework, http: httpx.Client, sleeps: list[float], **kwargs: object
) -> ConnectorClient:
    tokens = ClientCredentialsToken(
        http,
        login_endpoint=fake.base_url,
        tenant=fake.tenant,
        client_id=fake.app_id,
        client_secret=fake.app_secret,
    )
    return ConnectorClient(http, tokens, ["127.0.0.1"], sleep=sleeps.append, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "https://smba.trafficmanager.net/emea/",
        "https://SMBA.trafficmanager.net/teams",
    ],
)
def test_allowed_service_urls(url: str) -> None:
    assert check_service_url(url, ["smba.trafficmanager.net"]) == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/teams/",  # not listed
        "https://smba.trafficmanager.net.evil.example/",  # suffix trick
        "https://evil.example#@smba.trafficmanager.net/",  # fragment trick
        "https://user:pw@smba.trafficmanager.net/",  # credentials
        "http://smba.trafficmanager.net/",  # plain http off loopback
        "file:///etc/passwd",
        "smba.trafficmanager.net",
        "",
    ],
)
def test_refused_service_urls(url: str) -> None:
    with pytest.raises(ServiceUrlNotAllowedError):
        check_service_url(url, ["smba.trafficmanager.net", "localhost"])


def test_connector_checks_the_allow_list_itself(fake_bf: FakeBotFramework, http: httpx.Client) -> None:
    connector = make_connector(fake_bf, http, [])
    with pytest.raises(ServiceUrlNotAllowedError):
        connector.send("http://localhost:1/", "a:1", MESSAGE)
    assert fake_bf.token_requests == [] and fake_bf.calls == []


def test_send_posts_to_the_conversation_and_returns_the_id(
    fake_bf: FakeBotFramework, http: httpx.Client
) -> None:
    connector = make_connector(fake_bf, http, [])
    activity_id = connector.send(fake_bf.service_url, "19:abc@thread.tacv2;messageid=17", MESSAGE)
    [call] = fake_bf.calls
    assert call.path == "/teams/v3/conversations/19%3Aabc%40thread.tacv2%3Bmessageid%3D17/activities"
    assert call.conversation_id == "19:abc@thread.tacv2;messageid=17"
    assert activity_id == call.response_id and activity_id
    assert connector.update(fake_bf.service_url, "a:1", activity_id, MESSAGE) == activity_id
    assert fake_bf.calls[-1].method == "PUT" and fake_bf.calls[-1].activity_id == activity_id


@pytest.mark.parametrize("status", [429, 412, 500, 502, 503])
def test_retryable_statuses_back_off_exponentially(
    fake_bf: FakeBotFramework, http: httpx.Client, status: int
) -> None:
    sleeps: list[float] = []
    fake_bf.fail_next(status, times=3)
    assert make_connector(fake_bf, http, sleeps).send(fake_bf.service_url, "a:1", MESSAGE)
    assert sleeps == [0.5, 1.0, 2.0]
    assert [c.status for c in fake_bf.calls] == [status] * 3 + [201]


def test_retry_after_is_honoured(fake_bf: FakeBotFramework, http: httpx.Client) -> None:
    sleeps: list[float] = []
    fake_bf.fail_next(429, retry_after="3")
    make_connector(fake_bf, http, sleeps).send(fake_bf.service_url, "a:1", MESSAGE)
    assert sleeps == [3.0]


def test_retry_after_beyond_the_bound_gives_up(fake_bf: FakeBotFramework, http: httpx.Client) -> None:
    sleeps: list[float] = []
    fake_bf.fail_next(429, retry_after="3600")
    with pytest.raises(ConnectorError) as error:
        make_connector(fake_bf, http, sleeps).send(fake_bf.service_url, "a:1", MESSAGE)
    assert error.value.status == 429 and sleeps == []


def test_retries_are_bounded(fake_bf: FakeBotFramework, http: httpx.Client) -> None:
    sleeps: list[float] = []
    fake_bf.fail_next(503, times=10)
    with pytest.raises(ConnectorError):
        make_connector(fake_bf, http, sleeps, max_attempts=3).send(fake_bf.service_url, "a:1", MESSAGE)
    assert len(fake_bf.calls) == 3 and sleeps == [0.5, 1.0]


def test_client_errors_are_not_retried(fake_bf: FakeBotFramework, http: httpx.Client) -> None:
    fake_bf.fail_next(400)
    with pytest.raises(ConnectorError) as error:
        make_connector(fake_bf, http, []).send(fake_bf.service_url, "a:1", MESSAGE)
    assert error.value.status == 400 and len(fake_bf.calls) == 1


def test_a_rejected_token_is_renewed_once(fake_bf: FakeBotFramework, http: httpx.Client) -> None:
    connector = make_connector(fake_bf, http, [])
    connector.send(fake_bf.service_url, "a:1", MESSAGE)
    fake_bf.issued_tokens.clear()  # the service forgets (revokes) our token
    connector.send(fake_bf.service_url, "a:1", MESSAGE)
    assert [c.status for c in fake_bf.calls] == [201, 401, 201]
    assert len(fake_bf.token_requests) == 2


def test_token_is_cached_until_five_minutes_before_expiry(
    fake_bf: FakeBotFramework, http: httpx.Client
) -> None:
    now = [1000.0]
    tokens = ClientCredentialsToken(
        http,
        login_endpoint=fake_bf.base_url,
        tenant=fake_bf.tenant,
        client_id=fake_bf.app_id,
        client_secret=fake_bf.app_secret,
        clock=lambda: now[0],
    )
    first = tokens.token()
    now[0] += 3600 - 301
    assert tokens.token() == first
    now[0] += 2
    assert tokens.token() != first
    assert tokens.url == f"{fake_bf.base_url}/{fake_bf.tenant}/oauth2/v2.0/token"
    assert len(fake_bf.token_requests) == 2


def test_wrong_client_secret_is_an_error(fake_bf: FakeBotFramework, http: httpx.Client) -> None:
    tokens = ClientCredentialsToken(
        http,
        login_endpoint=fake_bf.base_url,
        tenant=fake_bf.tenant,
        client_id=fake_bf.app_id,
        client_secret="wrong",
    )
    with pytest.raises(ConnectorError, match="401"):
        tokens.token()


def test_managed_identity_token(fake_bf: FakeBotFramework, http: httpx.Client) -> None:
    tokens = ManagedIdentityToken(
        http, client_id=fake_bf.app_id, endpoint=f"{fake_bf.base_url}/metadata/identity/oauth2/token"
    )
    assert tokens.token() == tokens.token()
    [request] = fake_bf.token_requests
    assert request["resource"] == "https://api.botframework.com" and request["client_id"] == fake_bf.app_id
