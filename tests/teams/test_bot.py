"""What the bot does with authenticated activities (fake Assistant, fake Bot Framework)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from assistant.features.intents import COMPARE_USAGE, PLAN_USAGE, Intent, route, split_names
from assistant.history import History
from assistant.teams import bot, messages

from .conftest import PUBLIC_BASE, MakeClient, activity, feedback_invoke, post
from .fake_botframework import FakeBotFramework
from .fakes import NAT_DOC, NAT_QUOTE, FakeAssistant

QUESTION = "How many Neighbourhood Action Teams does Nottingham have?"


def entity(message: dict[str, Any], type_: str) -> dict[str, Any]:
    return next(e for e in message.get("entities") or [] if e.get("type") == type_)


def test_personal_chat_streams_then_sends_a_cited_final_answer(
    make_client: MakeClient, fake_bf: FakeBotFramework, fake_assistant: FakeAssistant
) -> None:
    inbound = activity(fake_bf, QUESTION)
    response = post(make_client(stream_interval_s=0), fake_bf, inbound)
    assert response.status_code == 202

    sent = [c.body for c in fake_bf.sent()]
    informative, *chunks, final = sent
    assert informative["type"] == "typing" and informative["text"] == "Searching the documents…"
    assert entity(informative, "streaminfo") == {
        "type": "streaminfo",
        "streamType": "informative",
        "streamSequence": 1,
    }
    stream_id = fake_bf.sent()[0].response_id
    assert stream_id
    assert chunks and all(c["type"] == "typing" for c in chunks)
    assert [entity(c, "streaminfo")["streamSequence"] for c in chunks] == list(range(2, 2 + len(chunks)))
    assert chunks[-1]["text"] == "Nottingham has 20 Neighbourhood Action Teams, one in each ward [1]."
    assert all(entity(c, "streaminfo")["streamId"] == stream_id for c in chunks)

    assert final["type"] == "message"
    assert entity(final, "streaminfo") == {"type": "streaminfo", "streamId": stream_id, "streamType": "final"}
    assert final["channelData"] == {"streamId": stream_id, "streamType": "final", "feedbackLoopEnabled": True}
    assert final["text"] == "Nottingham has 20 Neighbourhood Action Teams, one in each ward [1]."
    message = entity(final, "https://schema.org/Message")
    assert message["additionalType"] == ["AIGeneratedContent"]
    [claim] = message["citation"]
    assert claim["position"] == 1
    assert claim["appearance"]["name"] == "Locality working in Nottingham (2018)"
    viewer = urlsplit(claim["appearance"]["url"])  # the source viewer, at the passage, the quote highlighted
    assert f"{viewer.scheme}://{viewer.netloc}{viewer.path}" == f"{PUBLIC_BASE}/source/{NAT_DOC}"
    assert parse_qs(viewer.query) == {"chunk": ["chunk-nat-1"], "quote": [NAT_QUOTE]}
    assert claim["appearance"]["abstract"].startswith("20 Neighbourhood Action Teams (NATs)")
    assert len(claim["appearance"]["abstract"]) <= 160
    for body in sent:  # addressed as a reply in the same conversation
        assert body["replyToId"] == inbound["id"]
        assert body["conversation"]["id"] == inbound["conversation"]["id"]
        assert body["from"]["id"] == inbound["recipient"]["id"]

    [request] = fake_assistant.requests
    assert request.message == QUESTION and request.channel == "teams"
    assert request.conversation_id == "teams:a:1personal-chat-with-alex"


def test_outbound_calls_use_a_cached_client_credentials_token(
    make_client: MakeClient, fake_bf: FakeBotFramework
) -> None:
    client = make_client()
    for _ in range(2):
        post(client, fake_bf, activity(fake_bf))
    [token_request] = fake_bf.token_requests
    assert token_request == {
        "grant_type": "client_credentials",
        "client_id": fake_bf.app_id,
        "client_secret": fake_bf.app_secret,
        "scope": "https://api.botframework.com/.default",
    }
    assert {c.authorization for c in fake_bf.calls} == {"Bearer outbound-1"}


def test_group_chat_gets_typing_then_one_reply(make_client: MakeClient, fake_bf: FakeBotFramework) -> None:
    post(make_client(), fake_bf, activity(fake_bf, QUESTION, kind="groupChat", mention=True))
    typing, reply = [c.body for c in fake_bf.sent()]
    assert typing == {
        "type": "typing",
        "conversation": typing["conversation"],
        "recipient": typing["recipient"],
        "from": typing["from"],
        "replyToId": typing["replyToId"],
    }
    assert reply["type"] == "message" and "[1]" in reply["text"]
    assert not any(e["type"] == "streaminfo" for e in reply["entities"])
    assert reply["channelData"] == {"feedbackLoopEnabled": True}
    assert entity(reply, "https://schema.org/Message")["citation"][0]["position"] == 1


def test_channel_message_mention_is_stripped_and_reply_goes_to_the_thread(
    make_client: MakeClient, fake_bf: FakeBotFramework, fake_assistant: FakeAssistant
) -> None:
    inbound = activity(fake_bf, QUESTION, kind="channel", mention=True)
    assert inbound["text"].startswith("<at>Neighbourhood Assistant</at>")
    post(make_client(), fake_bf, inbound)
    [request] = fake_assistant.requests
    assert request.message == QUESTION
    reply = fake_bf.messages()[-1]
    assert fake_bf.sent()[-1].conversation_id == "19:general-channel@thread.tacv2;messageid=1700000000000"
    assert reply["replyToId"] == inbound["id"]


def test_stray_mention_tags_are_stripped_too() -> None:
    from microsoft_teams.api.activities import ActivityTypeAdapter

    body = {
        "type": "message",
        "id": "1",
        "channelId": "msteams",
        "serviceUrl": "https://x/",
        "from": {"id": "u"},
        "recipient": {"id": "b"},
        "conversation": {"id": "c"},
        "text": "<at>Someone Else</at>&nbsp;what is <b>EPiC</b>?",
    }
    assert messages.clean_text(ActivityTypeAdapter.validate_python(body)) == "what is EPiC ?"


def test_follow_up_stays_in_the_same_conversation(
    make_client: MakeClient, fake_bf: FakeBotFramework, fake_assistant: FakeAssistant
) -> None:
    client = make_client()
    post(client, fake_bf, activity(fake_bf, QUESTION, kind="groupChat"))
    post(client, fake_bf, activity(fake_bf, "Who chairs them?", kind="groupChat"))
    post(client, fake_bf, activity(fake_bf, QUESTION, kind="groupChat", conversation_id="19:other@thread.v2"))
    first, follow_up, other = fake_assistant.requests
    assert first.conversation_id == follow_up.conversation_id == "teams:19:group-chat-123@thread.v2"
    assert other.conversation_id != first.conversation_id
    assert fake_bf.messages()[1]["text"] == "They are chaired by a Neighbourhood Development Officer [1]."


def test_long_conversation_ids_are_hashed_to_fit_the_history() -> None:
    long_id = "19:" + "x" * 80 + "@thread.tacv2;messageid=1700000000000"
    key = messages.conversation_key(long_id)
    assert key.startswith("teams:") and len(key) <= 64 and key == messages.conversation_key(long_id)


def test_feedback_invoke_is_stored_with_the_answer(
    make_client: MakeClient, fake_bf: FakeBotFramework, history: History
) -> None:
    client = make_client()
    post(client, fake_bf, activity(fake_bf, QUESTION))
    final = fake_bf.sent()[-1]
    assert final.response_id == final.body["channelData"]["streamId"]
    response = post(client, fake_bf, feedback_invoke(fake_bf, final.response_id))
    assert response.status_code == 200
    assert history.feedback_rows() == [
        {"answer_id": "answer-1", "rating": "down", "reason": "Missing the ward list", "channel": "teams"}
    ]


def test_feedback_mapping_survives_a_restart(
    make_client: MakeClient, fake_bf: FakeBotFramework, history: History
) -> None:
    post(make_client(), fake_bf, activity(fake_bf, QUESTION, kind="groupChat"))
    reply = fake_bf.sent()[-1]
    assert reply.body["type"] == "message" and reply.response_id
    # a new router (a restarted worker) still finds the answer, through the table beside the history
    invoke = feedback_invoke(
        fake_bf, reply.response_id, reaction="like", text="Spot on, thanks", kind="groupChat"
    )
    assert post(make_client(), fake_bf, invoke).status_code == 200
    assert history.feedback_rows() == [
        {"answer_id": "answer-1", "rating": "up", "reason": "Spot on, thanks", "channel": "teams"}
    ]


def test_feedback_personal_data_is_redacted_and_unknown_messages_ignored(
    make_client: MakeClient, fake_bf: FakeBotFramework, history: History
) -> None:
    client = make_client()
    post(client, fake_bf, activity(fake_bf, QUESTION))
    stream_id = fake_bf.sent()[-1].body["channelData"]["streamId"]
    post(client, fake_bf, feedback_invoke(fake_bf, stream_id, text="call me on 07700 900123"))
    assert post(client, fake_bf, feedback_invoke(fake_bf, "1:unknown")).status_code == 200
    bad = feedback_invoke(fake_bf, stream_id)
    bad["value"]["actionValue"]["reaction"] = "meh"
    assert post(client, fake_bf, bad).status_code == 400
    assert [r["reason"] for r in history.feedback_rows()] == ["call me on [phone]"]


def test_connector_429_is_retried(make_client: MakeClient, fake_bf: FakeBotFramework) -> None:
    fake_bf.fail_next(429, retry_after="0")
    post(make_client(), fake_bf, activity(fake_bf, QUESTION, kind="groupChat"))
    statuses = [c.status for c in fake_bf.calls]
    assert statuses[0] == 429 and statuses[1:] == [201, 201]
    assert fake_bf.calls[0].body == fake_bf.calls[1].body
    assert fake_bf.messages(), "the answer arrived after the retry"


def test_help_command_sends_the_help_card(
    make_client: MakeClient, fake_bf: FakeBotFramework, fake_assistant: FakeAssistant
) -> None:
    post(make_client(), fake_bf, activity(fake_bf, "help", kind="channel", mention=True))
    [reply] = fake_bf.messages()
    [card] = reply["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = " ".join(b.get("text", "") for b in card["content"]["body"])
    assert "Neighbourhood Assistant" in texts
    facts = [f["title"] for b in card["content"]["body"] if b["type"] == "FactSet" for f in b["facts"]]
    assert {"compare X and Y", "plan …", "help"} <= set(facts)
    assert fake_assistant.requests == []


def test_compare_and_plan_without_enough_to_go_on_say_how_to_ask(
    make_client: MakeClient, fake_bf: FakeBotFramework
) -> None:
    client = make_client()
    post(client, fake_bf, activity(fake_bf, "compare Nottingham", kind="groupChat"))
    post(client, fake_bf, activity(fake_bf, "plan", kind="groupChat"))
    post(client, fake_bf, activity(fake_bf, "compare Nottingham and Atlantis", kind="groupChat"))
    compare_reply, plan_reply, unknown_reply = fake_bf.messages()
    assert compare_reply["text"] == COMPARE_USAGE and plan_reply["text"] == PLAN_USAGE
    assert unknown_reply["text"] == "unknown approach: Atlantis"


def test_compare_command(make_client: MakeClient, fake_bf: FakeBotFramework, history: History) -> None:
    assistant = FakeAssistant(history)
    post(
        make_client(assistant), fake_bf, activity(fake_bf, "compare Nottingham and Derby?", kind="groupChat")
    )
    assert assistant.compared == [(["Nottingham", "Derby"], ("public",))]
    reply = fake_bf.messages()[-1]
    assert reply["text"].startswith("**Comparing Nottingham and Derby**")
    assert "Both organise neighbourhood working by ward." in reply["text"]  # the key differences
    # the matrix: an Adaptive Card table, a header row then one row per dimension, cells with [n]
    card = reply["attachments"][0]["content"]
    assert reply["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    [table] = [e for e in card["body"] if e["type"] == "Table"]
    assert table["firstRowAsHeaders"] is True and len(table["columns"]) == 3
    cells = [[c["items"][0]["text"] for c in row["cells"]] for row in table["rows"]]
    assert cells == [
        ["Dimension", "Nottingham", "Derby"],
        ["Structure", "20 Neighbourhood Action Teams, one per ward [1]", "Not stated in the documents."],
    ]
    assert entity(reply, "https://schema.org/Message")["citation"][0]["appearance"]["url"].startswith(
        f"{PUBLIC_BASE}/source/{NAT_DOC}"
    )


def test_plan_command_returns_a_card_with_the_docx_link(
    make_client: MakeClient, fake_bf: FakeBotFramework, history: History
) -> None:
    assistant = FakeAssistant(history)
    post(make_client(assistant), fake_bf, activity(fake_bf, "plan: ward working for a district council"))
    assert assistant.planned == [("ward working for a district council", ("public",))]
    reply = fake_bf.messages()[-1]
    card = reply["attachments"][0]["content"]
    # a signed link for the caller's audiences: Teams opens it in a browser, which has no API key
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Download as Word",
            "url": f"{PUBLIC_BASE}/api/plans/0123456789ab.docx?token=signed-for-public",
        }
    ]
    assert card["body"][0]["text"] == "Neighbourhood working plan"
    texts = [e.get("text") for e in card["body"]]
    assert "Priority 1: Ward teams" in texts
    actions = [e for e in card["body"] if e["type"] == "Container"]
    assert actions[0]["items"][0]["text"] == "Action 1.1: Set up a Neighbourhood Action Team in each ward"
    assert [f["title"] for f in actions[0]["items"][1]["facts"]] == ["Lead", "Timescale", "Success measures"]
    assert "AIGeneratedContent" in entity(reply, "https://schema.org/Message")["additionalType"]


def test_bot_added_to_a_conversation_sends_the_help_card(
    make_client: MakeClient, fake_bf: FakeBotFramework
) -> None:
    body = activity(fake_bf, kind="groupChat")
    body.update(type="conversationUpdate", text=None, membersAdded=[body["recipient"]])
    assert post(make_client(), fake_bf, body).status_code == 202
    [welcome] = fake_bf.messages()
    assert welcome["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert "replyToId" not in welcome


def test_a_failed_turn_says_sorry_and_logs_no_text(
    make_client: MakeClient, fake_bf: FakeBotFramework, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "boom: what about Flat 3, 12 Acacia Road?"
    post(make_client(), fake_bf, activity(fake_bf, secret, kind="groupChat"))
    assert fake_bf.messages()[-1]["text"] == bot.SORRY
    assert "Acacia" not in caplog.text


def test_message_text_is_never_logged(
    make_client: MakeClient, fake_bf: FakeBotFramework, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client()
    post(client, fake_bf, activity(fake_bf, "Where does Alex Example live? " + QUESTION))
    post(client, fake_bf, activity(fake_bf, "Where does Alex Example live?"), issuer="https://bad")
    assert "Alex Example" not in caplog.text and "Neighbourhood Action Teams" not in caplog.text


def test_commands_route_as_in_the_web_chat() -> None:
    assert route("Help") == Intent("help") and route("/help") == Intent("help")
    assert route("compare Nottingham's NATs vs Derby boards") == Intent(
        "compare", names=("Nottingham's NATs", "Derby boards")
    )
    assert split_names("Nottingham's NATs vs Derby boards") == ["Nottingham's NATs", "Derby boards"]
    assert split_names("Newcastle, Derby and Nottingham") == ["Newcastle", "Derby", "Nottingham"]
    assert route("plan: ward working for a district") == Intent("plan", brief="ward working for a district")
    assert route("plan for a district") == Intent("plan", brief="plan for a district")
    assert route("planning rules in Derby?") == Intent("ask")
    assert route("What is EPiC?") == Intent("ask")


def test_feedback_reason_parsing() -> None:
    assert messages.feedback_reason('{"feedbackText": "  too   long "}') == "too long"
    assert messages.feedback_reason({"feedbackText": "ok"}) == "ok"
    assert messages.feedback_reason("plain words") == "plain words"
    assert messages.feedback_reason('{"feedbackText": ""}') is None
    assert messages.feedback_reason(None) is None
