"""End to end: the real app (``create_app``) and the real Assistant over the ingested corpus, spoken
to as Teams would, through the fake Bot Framework. A question, then a follow-up that only makes
sense in context, then thumbs down on the follow-up.

``NBHD_RECORD_TEAMS=1`` writes the (trimmed) exchange to docs/teams-conversation.json.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.config import ROOT, Settings

from .conftest import PUBLIC_BASE, activity, feedback_invoke, post, teams_settings_for
from .fake_botframework import FakeBotFramework

pytestmark = [pytest.mark.slow, pytest.mark.integration]

# the documents that state Nottingham's 20 NATs and who chairs them (eval/gold.jsonl f01, f02)
NAT_DOCS = {"nottingham-locality-working-case-study", "nanm-doing-the-right-thing-2018"}


@pytest.fixture(scope="module")
def live(
    ingested_settings: Settings, tmp_path_factory: pytest.TempPathFactory, bf_key: Any
) -> Iterator[tuple[TestClient, FakeBotFramework, Any]]:
    from assistant.http.app import create_app
    from assistant.service import build_assistant

    fake = FakeBotFramework(key=bf_key).start()
    data_dir = tmp_path_factory.mktemp("teams-e2e")
    # same index, own history database
    settings = teams_settings_for(
        fake, ingested_settings, database_url=f"sqlite:///{data_dir}/history.sqlite3"
    )
    assistant = build_assistant(settings)
    with TestClient(create_app(settings, assistant=assistant)) as client:
        yield client, fake, assistant
    fake.stop()


def citations(message: dict[str, Any]) -> list[dict[str, Any]]:
    root = next(e for e in message["entities"] if e.get("type") == "https://schema.org/Message")
    return list(root.get("citation") or [])


def test_a_teams_conversation_with_the_real_assistant(live: tuple[TestClient, FakeBotFramework, Any]) -> None:
    client, fake, assistant = live
    exchange: list[dict[str, Any]] = []

    def turn(text: str) -> dict[str, Any]:
        inbound = activity(fake, text, kind="channel", mention=True)
        before = len(fake.calls)
        response = post(client, fake, inbound)
        assert response.status_code == 202
        sent = [c for c in fake.calls[before:] if c.status < 300]
        reply = sent[-1]
        assert reply.body["type"] == "message"
        exchange.append(
            {
                "request": trim(inbound),
                "http_status": response.status_code,
                "replies": [
                    trim(c.body) | {"_connector": f"{c.method} {c.path} -> {c.response_id}"} for c in sent
                ],
            }
        )
        return reply.body | {"_id": reply.response_id}

    first = turn("How many Neighbourhood Action Teams does Nottingham have?")
    assert "20" in first["text"] and "[1]" in first["text"]
    first_cited = {c["appearance"]["url"].split("/source/")[1].split("?")[0] for c in citations(first)}
    assert first_cited and first_cited <= NAT_DOCS
    assert all(c["appearance"]["url"].startswith(f"{PUBLIC_BASE}/source/") for c in citations(first))
    assert (
        "AIGeneratedContent"
        in next(e for e in first["entities"] if e["type"] == "https://schema.org/Message")["additionalType"]
    )
    assert first["channelData"]["feedbackLoopEnabled"] is True

    follow_up = turn("Who chairs them?")
    assert "Neighbourhood Development Officer" in follow_up["text"], follow_up["text"]
    assert {
        c["appearance"]["url"].split("/source/")[1].split("?")[0] for c in citations(follow_up)
    } & NAT_DOCS

    invoke = feedback_invoke(
        fake, follow_up["_id"], reaction="like", text="Exactly what I needed", kind="channel"
    )
    response = post(client, fake, invoke)
    assert response.status_code == 200
    rows = assistant.history.feedback_rows()
    assert rows[-1]["rating"] == "up" and rows[-1]["channel"] == "teams"
    assert rows[-1]["reason"] == "Exactly what I needed"
    exchange.append(
        {"request": trim(invoke), "http_status": response.status_code, "stored_feedback": rows[-1]}
    )

    # a comparison: the key differences as cited text, the matrix as an Adaptive Card table
    compared = turn("compare LAC, NATs and EPiC")
    text = compared["text"]
    assert text.startswith("**Comparing Local Area Coordination, Neighbourhood Action Teams and EPiC**")
    # key differences: a dimension, then one cited list item per approach
    assert re.search(r"^\*[A-Z][^*]+\*\n- Local Area Coordination: .+\[\d+\]", text, re.M), text
    [attachment] = compared["attachments"]
    [table] = [e for e in attachment["content"]["body"] if e["type"] == "Table"]
    header, *rows = [[c["items"][0]["text"] for c in row["cells"]] for row in table["rows"]]
    assert header == ["Dimension", "Local Area Coordination", "Neighbourhood Action Teams", "EPiC"]
    assert len(rows) >= 5 and all(len(r) == 4 for r in rows)
    stated = [cell for r in rows for cell in r[1:] if cell != "Not stated in the documents."]
    assert len(stated) >= 9 and all(re.search(r"\[\d+\]", cell) for cell in stated)
    positions = {c["position"] for c in citations(compared)}
    assert positions and all(f"[{n}]" in compared["text"] + json.dumps(table) for n in positions)

    # a plan: its actions with lead, timescale and measures, and a signed Word link
    planned = turn("plan neighbourhood working for a deprived ward with high anti-social behaviour")
    card = planned["attachments"][0]["content"]
    [download] = card["actions"]
    assert download["title"] == "Download as Word" and "?token=" in download["url"]
    action = next(e for e in card["body"] if e["type"] == "Container")
    assert [f["title"] for f in action["items"][1]["facts"]][:3] == ["Lead", "Timescale", "Success measures"]
    path = download["url"].removeprefix(PUBLIC_BASE)
    got = client.get(path)
    assert got.status_code == 200 and got.content[:2] == b"PK"

    if os.environ.get("NBHD_RECORD_TEAMS"):
        out = ROOT / "docs" / "teams-conversation.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(
            json.dumps(
                {
                    "about": "Recorded by tests/teams/test_conversation.py: the real assistant over the bundled corpus, "
                    "behind POST /api/messages, talking to a fake Bot Framework on loopback. Trimmed: "
                    "long quotes shortened, clientInfo and tenant details dropped.",
                    "exchange": exchange,
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n",
            encoding="utf-8",
        )


def trim(body: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "type",
        "name",
        "id",
        "serviceUrl",
        "channelId",
        "from",
        "recipient",
        "conversation",
        "replyToId",
        "text",
        "textFormat",
        "entities",
        "channelData",
        "value",
        "attachments",
    )
    out = {k: body[k] for k in keep if k in body and body[k] is not None}
    out["entities"] = [e for e in out.get("entities", []) if e.get("type") != "clientInfo"]
    if not out["entities"]:
        del out["entities"]
    for entity in out.get("entities", []):
        for claim in entity.get("citation", []):
            appearance = claim["appearance"]
            if len(appearance.get("abstract", "")) > 90:
                appearance["abstract"] = appearance["abstract"][:87] + "…"
    if "attachments" in out:  # long card texts shortened, as quotes are (on a copy: tests read the reply)
        out["attachments"] = copy.deepcopy(out["attachments"])
        _shorten_texts(out["attachments"])
    if isinstance(out.get("channelData"), dict):
        out["channelData"] = {k: v for k, v in out["channelData"].items() if k not in ("tenant",)}
        if not out["channelData"]:
            del out["channelData"]
    if isinstance(out.get("conversation"), dict):
        out["conversation"] = {k: v for k, v in out["conversation"].items() if k != "tenantId"}
    return out


def _shorten_texts(node: Any) -> None:
    if isinstance(node, dict):
        text = node.get("text")
        if node.get("type") == "TextBlock" and isinstance(text, str) and len(text) > 120:
            marks = " ".join(re.findall(r"\[\d+\]", text))
            node["text"] = text[:100].rstrip() + "…" + (f" {marks}" if marks else "")
        for value in node.values():
            _shorten_texts(value)
    elif isinstance(node, list):
        for value in node:
            _shorten_texts(value)
