"""ChatOpenAI over real HTTP against a scripted OpenAI-compatible stub on 127.0.0.1.

Checks the plumbing the real server also exercises (SSE token streaming into sentence
buffering, HTTP errors, malformed JSON) without needing llama.cpp.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assistant.answer.composers.llm import LLMComposer
from assistant.config import Settings
from assistant.types import Chunk, Passage

PASSAGES = [
    Passage(
        Chunk(id="n-0", doc_id="notts", title="Notts", text="Nottingham has 20 Neighbourhood Action Teams."),
        score=1.0,
    )
]


class Stub(ThreadingHTTPServer):
    mode = "stream"
    reply = "Nottingham has 20 NATs [1]. Each covers one ward [1]."
    requests: list[dict[str, Any]]


class Handler(BaseHTTPRequestHandler):
    server: Stub

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._json(200, {"object": "list", "data": [{"id": "stub-model", "object": "model"}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        mode = self.server.mode
        if mode == "error":
            self._json(500, {"error": {"message": "boom"}})
        elif mode == "garbage":
            raw = b"this is not json"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        elif body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for word in self.server.reply.split(" "):
                delta = {"choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}]}
                self._event({"id": "c", "object": "chat.completion.chunk", "model": "stub-model", **delta})
            self.wfile.write(b"data: [DONE]\n\n")
        else:
            message = {"role": "assistant", "content": self.server.reply}
            self._json(
                200,
                {
                    "id": "c",
                    "object": "chat.completion",
                    "model": "stub-model",
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                },
            )

    def _event(self, data: dict[str, Any]) -> None:
        self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()

    def _json(self, status: int, data: dict[str, Any]) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture
def stub() -> Iterator[Stub]:
    server = Stub(("127.0.0.1", 0), Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def composer_for(server: Stub) -> LLMComposer:
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    composer = LLMComposer.from_settings(Settings(llm_base_url=url, llm_model="stub-model", llm_timeout_s=5))
    composer.stats_dir = None
    return composer


def test_sse_tokens_become_verified_sentences(stub: Stub) -> None:
    composer = composer_for(stub)
    sentences = list(composer.stream("How many NATs?", PASSAGES))
    assert [s.text for s in sentences] == ["Nottingham has 20 NATs [1].", "Each covers one ward [1]."]
    assert composer.last_error() == ""
    sent = stub.requests[0]
    assert sent["model"] == "stub-model" and sent["temperature"] == 0 and sent["stream"] is True
    assert sent["messages"][0]["role"] == "system"
    assert '<passage n="1" doc="notts"' in sent["messages"][1]["content"]


def test_compose_over_http(stub: Stub) -> None:
    draft = composer_for(stub).compose("How many NATs?", PASSAGES)
    assert not draft.no_answer and [s.sources for s in draft.sentences] == [[1], [1]]


@pytest.mark.parametrize("mode", ["error", "garbage"])
def test_http_error_or_malformed_json_falls_back(stub: Stub, mode: str) -> None:
    stub.mode = mode
    composer = composer_for(stub)
    draft = composer.compose("q", PASSAGES)
    assert draft.no_answer and draft.reason.startswith("LLM endpoint")
    assert list(composer.stream("q", PASSAGES)) == []
    assert composer.last_error().startswith("LLM endpoint")


def test_doctor_probe_sees_the_models(stub: Stub) -> None:
    from assistant.cli.doctor import probe_endpoint

    url = f"http://127.0.0.1:{stub.server_address[1]}/v1"
    probe = probe_endpoint(Settings(llm_base_url=url))
    assert probe["reachable"] and probe["models"] == ["stub-model"]
