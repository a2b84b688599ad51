"""Reading Teams activities: the user's words, our conversation key, the feedback text.

Pure functions over the SDK's activity models; nothing here logs message text.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from microsoft_teams.api.activities import ConversationUpdateActivity
from microsoft_teams.api.activities.message import MessageActivity
from microsoft_teams.api.activities.utils import strip_mentions_text

__all__ = ["Ref", "as_dict", "clean_text", "conversation_key", "feedback_reason", "ref_of", "safe_label"]

FEEDBACK_REASON_CHARS = 1000


@dataclass(frozen=True)
class Ref:
    """Where a reply goes: the conversation an inbound activity came from."""

    service_url: str
    conversation: dict[str, Any]
    bot: dict[str, Any]
    user: dict[str, Any]
    activity_id: str | None
    personal: bool

    @property
    def conversation_id(self) -> str:
        return str(self.conversation["id"])

    def address(self, activity: dict[str, Any], *, reply: bool = True) -> dict[str, Any]:
        activity.update(conversation=self.conversation, recipient=self.user)
        activity["from"] = self.bot
        if reply and self.activity_id:
            activity["replyToId"] = self.activity_id
        return activity


_MENTION = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def clean_text(activity: MessageActivity) -> str:
    """The user's words: @mentions removed (entities first, then any stray <at> tags), HTML unwrapped."""
    text = strip_mentions_text(activity) or ""
    text = _TAG.sub(" ", _MENTION.sub(" ", text))
    for entity, char in (("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&")):
        text = text.replace(entity, char)
    return " ".join(text.split())


def conversation_key(teams_conversation_id: str) -> str:
    """Our conversation id for a Teams conversation (hashed when it would not fit in 64 characters)."""
    key = f"teams:{teams_conversation_id}"
    if len(key) <= 64:
        return key
    return "teams:" + hashlib.sha256(teams_conversation_id.encode()).hexdigest()[:40]


def feedback_reason(raw: Any) -> str | None:
    """The free text of a Teams feedback (``feedback`` is a JSON string like {"feedbackText": "..."})."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip().startswith("{") else {"feedbackText": raw}
        except ValueError:
            raw = {"feedbackText": raw}
    if not isinstance(raw, dict):
        return None
    text = " ".join(str(raw.get("feedbackText") or "").split())
    return text[:FEEDBACK_REASON_CHARS] or None


def ref_of(activity: MessageActivity | ConversationUpdateActivity) -> Ref:
    conversation = activity.conversation.model_dump(by_alias=True, exclude_none=True)
    return Ref(
        service_url=str(activity.service_url),
        conversation={
            k: conversation[k] for k in ("id", "conversationType", "tenantId", "isGroup") if k in conversation
        },
        bot=activity.recipient.model_dump(by_alias=True, exclude_none=True, include={"id", "name"}),
        user=activity.from_.model_dump(by_alias=True, exclude_none=True, include={"id", "name"}),
        activity_id=activity.id,
        personal=activity.conversation.conversation_type == "personal",
    )


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def safe_label(value: Any) -> str:
    """A value from an activity made safe to log (an activity type, never message text)."""
    return re.sub(r"[^\w./-]", "", str(value))[:40]
