"""Generators: the template one, and the OpenAI-compatible HTTP one against a real HTTP server on
loopback that speaks /v1/chat/completions (no patched functions)."""

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from scannet_memory import scannet_run

from robomem.config import GeneratorConfig
from robomem.errors import ConfigError, GeneratorError
from robomem.memory.forest import Forest
from robomem.query import Engine
from robomem.query.generators import OpenAIGenerator, PlaceFacts, TemplateGenerator, items_text, make_generator, plural


class ChatServer:
    """A minimal OpenAI-compatible chat server; ``mode`` picks a behaviour, ``requests`` records bodies."""

    def __init__(self):
        self.mode = "ok"
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": "not found"}})
                if server.mode == "error":
                    return self._send(500, {"error": {"message": "model exploded"}})
                if server.mode == "slow":
                    time.sleep(1.5)
                if server.mode == "garbage":
                    return self._send(200, {"unexpected": True})
                user = body["messages"][-1]["content"]
                content = f"LLM[{body['model']}] " + user.splitlines()[-1][:400]
                self._send(200, {"id": "x", "object": "chat.completion", "model": body["model"],
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": content}}]})

            def _send(self, code, obj):
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = ChatServer()
    yield s
    s.close()


def cfg(url: str, **kw) -> GeneratorConfig:
    return GeneratorConfig(backend="openai", base_url=url, model=kw.pop("model", "tiny-llm"), **kw)


def test_template_summaries_are_extractive_and_deterministic():
    g = TemplateGenerator()
    f = PlaceFacts("area:3", "area", "kitchen", [("counter", 1), ("sink", 1), ("red mug", 2)], 4)
    assert g.summarize(f) == "kitchen area: counter, sink, 2 red mugs"
    assert g.summarize(PlaceFacts("group:1", "group", None, [("table", 1), ("chair", 4)], 5)) == "table with 4 chairs"
    assert g.answer("q", ["ctx"], "the draft") == "the draft"
    assert plural("shelf") == "shelves" and plural("red box") == "red boxes" and plural("keys") == "keys"
    many = [(f"thing{i}", 1) for i in range(20)]
    assert items_text(many, 15).endswith("and 5 more")
    assert isinstance(make_generator(GeneratorConfig()), TemplateGenerator)


def test_openai_generator_speaks_the_protocol(server):
    gen = OpenAIGenerator(cfg(server.url, api_key="sekret", max_tokens=33))
    out = gen.summarize(PlaceFacts("room:1", "room", "kitchen", [("sink", 1), ("stove", 1)], 2))
    assert out.startswith("LLM[tiny-llm]") and "sink, stove" in out
    req = server.requests[-1]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer sekret"
    body = req["body"]
    assert body["model"] == "tiny-llm" and body["max_tokens"] == 33 and body["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    ans = gen.answer("where is the sink?", ["kitchen: sink, stove"], "The sink is in the kitchen.")
    assert "LLM[tiny-llm]" in ans
    assert "kitchen: sink, stove" in server.requests[-1]["body"]["messages"][-1]["content"]


def test_openai_generator_errors_are_clear(server):
    server.mode = "error"
    with pytest.raises(GeneratorError, match="HTTP 500"):
        OpenAIGenerator(cfg(server.url)).answer("q", [], "d")
    server.mode = "garbage"
    with pytest.raises(GeneratorError, match="chat completion"):
        OpenAIGenerator(cfg(server.url)).answer("q", [], "d")
    server.mode = "slow"
    with pytest.raises(GeneratorError, match="did not answer within"):
        OpenAIGenerator(cfg(server.url, timeout_s=0.3)).answer("q", [], "d")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(GeneratorError, match="cannot reach"):
        OpenAIGenerator(cfg(f"http://127.0.0.1:{port}/v1")).answer("q", [], "d")
    with pytest.raises(ConfigError, match="model"):
        OpenAIGenerator(cfg(server.url, model=""))
    with pytest.raises(ConfigError, match="base_url"):
        OpenAIGenerator(cfg("ftp://x"))
    with pytest.raises(ConfigError, match="backend"):
        make_generator(GeneratorConfig(backend="gpt9"))


def test_engine_and_forest_use_the_http_generator(server, scannet):
    run = scannet_run(str(scannet))
    mem, toilet = run.memory, run.id(16)
    gen = OpenAIGenerator(cfg(server.url))
    forest = Forest(mem.text_encoder, gen)
    forest.set_occupancy(mem.occupancy)
    forest.upsert(mem.objects())
    forest.refresh()
    assert all(n.summary.startswith("LLM[tiny-llm]") for n in forest.nodes.values() if n.level != "object")
    engine = Engine(mem, generator=gen, forest=forest)
    a = engine.ask("where is the toilet?")
    assert a.text.startswith("LLM[tiny-llm]")
    # the draft the engine wrote went to the server; targets and evidence stay the engine's own
    assert f"toilet (object {toilet})" in server.requests[-1]["body"]["messages"][-1]["content"]
    assert a.targets[0].object_id == toilet and "generate" in a.timings_ms
