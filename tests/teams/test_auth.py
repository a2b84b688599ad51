"""Inbound authentication on /api/messages: every Bot Framework check, against a fake service."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.http.app import create_app

from .conftest import MakeClient, activity, fast_refresh_auth, post
from .fake_botframework import FakeBotFramework
from .fakes import FakeAssistant


def test_not_configured_answers_503(make_client: MakeClient, fake_bf: FakeBotFramework, tmp_path) -> None:
    client = make_client(settings=Settings(data_dir=tmp_path, teams_app_id=""))
    response = post(client, fake_bf, activity(fake_bf))
    assert response.status_code == 503
    assert response.json()["error"] == "Teams channel not configured"
    assert fake_bf.calls == [] and fake_bf.metadata_fetches == 0


def test_valid_token_is_accepted_and_answered(make_client: MakeClient, fake_bf: FakeBotFramework) -> None:
    response = post(make_client(), fake_bf, activity(fake_bf))
    assert response.status_code in (200, 202)
    assert fake_bf.messages(), "the bot replied through the connector"


def test_missing_token(make_client: MakeClient, fake_bf: FakeBotFramework) -> None:
    assert post(make_client(), fake_bf, activity(fake_bf), token=None).status_code == 401


def test_not_a_bearer_token(make_client: MakeClient, fake_bf: FakeBotFramework) -> None:
    client = make_client()
    response = client.post("/api/messages", json=activity(fake_bf), headers={"Authorization": "Basic eDp5"})
    assert response.status_code == 401
    assert post(client, fake_bf, activity(fake_bf), token="not-a-jwt").status_code == 401


@pytest.mark.parametrize(
    ("case", "sign_kwargs"),
    [
        ("wrong issuer", {"issuer": "https://sts.windows.net/evil/"}),
        ("wrong audience", {"audience": "some-other-bot"}),
        ("expired beyond 5 minutes", {"expires_in": -400}),
        ("not yet valid beyond 5 minutes", {"not_before": 400}),
        ("serviceurl claim mismatch", {"service_url": "https://smba.trafficmanager.net/emea/"}),
        ("serviceurl claim missing", {"drop": ("serviceurl",)}),
        ("no expiry", {"drop": ("exp",)}),
    ],
)
def test_rejected_claims(
    make_client: MakeClient, fake_bf: FakeBotFramework, case: str, sign_kwargs: dict
) -> None:
    response = post(make_client(), fake_bf, activity(fake_bf), **sign_kwargs)
    assert response.status_code == 401, case
    assert fake_bf.sent() == [], "nothing was sent for a rejected activity"


def test_clock_skew_within_five_minutes_is_tolerated(
    make_client: MakeClient, fake_bf: FakeBotFramework
) -> None:
    client = make_client()
    assert post(client, fake_bf, activity(fake_bf), expires_in=-200).status_code == 202
    assert post(client, fake_bf, activity(fake_bf), not_before=200).status_code == 202


def test_bad_signature(
    make_client: MakeClient, fake_bf: FakeBotFramework, other_key: rsa.RSAPrivateKey
) -> None:
    # signed by another key that claims the published kid
    assert post(make_client(), fake_bf, activity(fake_bf), key=other_key).status_code == 401


def test_tampered_token(make_client: MakeClient, fake_bf: FakeBotFramework) -> None:
    body = activity(fake_bf)
    header, _payload, signature = fake_bf.sign(service_url=body["serviceUrl"]).split(".")
    forged = jwt.utils.base64url_encode(b'{"aud":"x"}').decode()
    assert post(make_client(), fake_bf, body, token=f"{header}.{forged}.{signature}").status_code == 401


def test_unknown_kid(
    make_client: MakeClient, fake_bf: FakeBotFramework, other_key: rsa.RSAPrivateKey, teams_settings: Settings
) -> None:
    client = make_client(auth=fast_refresh_auth(teams_settings))
    assert post(client, fake_bf, activity(fake_bf), key=other_key, kid="no-such-key").status_code == 401


def test_symmetric_algorithm_is_refused(make_client: MakeClient, fake_bf: FakeBotFramework) -> None:
    body = activity(fake_bf)
    token = jwt.encode(
        {
            "iss": "https://api.botframework.com",
            "aud": fake_bf.app_id,
            "exp": 9999999999,
            "serviceurl": body["serviceUrl"],
        },
        "shared-secret-guess-32-bytes-long!!",
        algorithm="HS256",
        headers={"kid": fake_bf.kid},
    )
    assert post(make_client(), fake_bf, body, token=token).status_code == 401


def test_key_must_be_endorsed_for_the_channel(make_client: MakeClient, fake_bf: FakeBotFramework) -> None:
    body = activity(fake_bf, channelId="webchat")
    assert post(make_client(), fake_bf, body).status_code == 401


def test_activity_without_service_url(make_client: MakeClient, fake_bf: FakeBotFramework) -> None:
    body = activity(fake_bf)
    del body["serviceUrl"]
    assert post(make_client(), fake_bf, body, service_url=fake_bf.service_url).status_code == 401


def test_service_url_not_allow_listed_is_rejected_before_any_outbound_call(
    make_client: MakeClient, fake_bf: FakeBotFramework
) -> None:
    # A genuine, correctly signed token whose serviceUrl (and claim) point somewhere we do not trust.
    evil = "http://localhost:9/steal-tokens/"
    response = post(make_client(), fake_bf, activity(fake_bf, service_url=evil), service_url=evil)
    assert response.status_code == 403
    assert fake_bf.calls == [] and fake_bf.token_requests == []


def test_keys_are_cached_and_refreshed_on_rotation(
    make_client: MakeClient, fake_bf: FakeBotFramework, teams_settings: Settings
) -> None:
    client = make_client(auth=fast_refresh_auth(teams_settings))
    for _ in range(3):
        assert post(client, fake_bf, activity(fake_bf)).status_code == 202
    assert (fake_bf.metadata_fetches, fake_bf.jwks_fetches) == (1, 1)

    new_key = fake_bf.rotate("bf-key-2")
    assert post(client, fake_bf, activity(fake_bf), key=new_key, kid="bf-key-2").status_code == 202
    assert fake_bf.jwks_fetches == 2, "an unknown kid refetched the key set once"


def test_the_real_app_includes_the_router(
    fake_bf: FakeBotFramework, teams_settings: Settings, tmp_path
) -> None:
    from fastapi.testclient import TestClient

    from assistant.history import History
    from assistant.http.app import create_app

    from .fakes import FakeAssistant

    assistant = FakeAssistant(History(teams_settings.db_url))
    off = Settings(data_dir=tmp_path / "off", teams_app_id="")
    with TestClient(create_app(off, assistant=assistant)) as client:  # type: ignore[arg-type]
        assert post(client, fake_bf, activity(fake_bf)).status_code == 503
    with TestClient(create_app(teams_settings, assistant=assistant)) as client:  # type: ignore[arg-type]
        assert post(client, fake_bf, activity(fake_bf), token=None).status_code == 401
        assert post(client, fake_bf, activity(fake_bf)).status_code == 202
        assert "/api/messages" not in client.get("/openapi.json").json()["paths"]
    assert fake_bf.messages()


def test_the_app_lets_teams_activities_up_to_their_own_limit(
    teams_settings: Settings, fake_assistant: FakeAssistant
) -> None:
    """The API's 64 KB body limit does not cut Teams activities short (their limit is 512 KB),
    and both answer in the API's error shape."""
    client = TestClient(create_app(teams_settings, assistant=fake_assistant), raise_server_exceptions=False)
    body = {"type": "message", "text": "x" * 100_000}
    response = client.post("/api/messages", json=body)
    assert response.status_code == 401 and response.json() == {"error": "Unauthorized"}  # the bot read it
    response = client.post("/api/messages", json={"type": "message", "text": "x" * 600_000})
    assert response.status_code == 413 and "512,000 bytes" in response.json()["error"]
    response = client.post("/api/chat", json={"message": "x" * 100_000})
    assert response.status_code == 413 and "64,000 bytes" in response.json()["error"]
