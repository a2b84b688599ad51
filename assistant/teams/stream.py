"""Teams streaming in personal chat: informative, then streaming chunks, then the final message."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal, Protocol

from microsoft_teams.api.activities import TypingActivityInput
from microsoft_teams.api.activities.message import MessageActivityInput
from microsoft_teams.api.models import ChannelData, StreamInfoEntity

from assistant.teams.connector import ConnectorError
from assistant.teams.messages import Ref

__all__ = ["Sender", "Stream"]

log = logging.getLogger(__name__)


class Sender(Protocol):
    """What a stream needs of the bot: send an activity to a conversation, get its id back."""

    def send(
        self, ref: Ref, activity: MessageActivityInput | TypingActivityInput, *, feedback: bool = False
    ) -> str | None: ...


class Stream:
    """Teams streaming in personal chat: informative, then streaming chunks, then the final message.

    Chunks go at most every ``interval_s`` (Teams throttles streaming bots); each carries the
    whole text so far. If Teams refuses streaming (403: not allowed, or stopped by the user),
    updates stop and the answer still arrives as a final message.
    """

    def __init__(
        self, bot: Sender, ref: Ref, interval_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.bot, self.ref, self.interval_s, self.clock = bot, ref, interval_s, clock
        self.stream_id: str | None = None
        self.sequence = 0
        self.text = ""
        self.last_sent = 0.0
        self.live = True

    def inform(self, text: str) -> None:
        self._update(text, "informative")

    def add(self, delta: str) -> None:
        if not delta:
            return
        if self.text and self.text[-1] in ".!?:;)]" and not delta[0].isspace():
            self.text += " "
        self.text += delta
        if self.live and self.stream_id and self.clock() - self.last_sent >= self.interval_s:
            self._update(self.text, "streaming")

    def finish(self, activity: MessageActivityInput, *, feedback: bool) -> tuple[str | None, str | None]:
        """Send the final message; returns (stream id, id of the final activity)."""
        if self.stream_id:
            activity.channel_data = ChannelData(stream_id=self.stream_id, stream_type="final")
            activity.add_entity(StreamInfoEntity(stream_id=self.stream_id, stream_type="final"))
            try:
                return self.stream_id, self.bot.send(self.ref, activity, feedback=feedback)
            except ConnectorError as exc:
                log.warning("teams: final streamed message refused (%s); sending it plainly", exc)
                activity.channel_data = None
                activity.entities = [e for e in activity.entities or [] if e.type != "streaminfo"]
        return None, self.bot.send(self.ref, activity, feedback=feedback)

    def _update(self, text: str, kind: Literal["informative", "streaming"]) -> None:
        self.sequence += 1
        typing = TypingActivityInput(text=text)
        typing.channel_data = ChannelData(
            stream_type=kind, stream_sequence=self.sequence, stream_id=self.stream_id
        )
        typing.add_entity(
            StreamInfoEntity(stream_id=self.stream_id, stream_type=kind, stream_sequence=self.sequence)
        )
        try:
            sent = self.bot.send(self.ref, typing)
        except ConnectorError as exc:
            log.info("teams: streaming stopped: %s", exc)
            self.live = False
            return
        self.last_sent = self.clock()
        if self.stream_id is None:
            self.stream_id = sent
            self.live = sent is not None
