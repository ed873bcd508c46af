"""A new compressor, provider or store is one file plus its registration."""

from __future__ import annotations

import importlib
import logging
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from headroom import Compressed, Headroom, HeadroomConfig
from headroom.ccr.markers import find_markers
from headroom.ccr.store import CCRStore, StoreStats
from headroom.compressors.base import DEFAULT_COMPRESSORS, load_registry
from headroom.conversation.segments import Scope, Segment, ToolCall, text_parts
from headroom.engine.detect import (
    CERTAIN,
    FALLBACK_KIND,
    MIN_CONFIDENCE,
    Detection,
    Sample,
    detect_with,
)
from headroom.errors import ActivityUnsupported, ConfigError
from headroom.providers import Endpoint, base, provider_named, register, unregister
from headroom.providers.openai_chat import OpenAIChatRelay
from tests.conftest import small_fixture_config
from tests.conversations import WORKER_LOG, openai_conversation

PLUGIN = '''
from headroom.compressed import Compressed
from headroom.ccr.markers import format_marker


class FirstAndLastLines:
    """Keeps a log's first and last line and marks the rest."""

    kind = "log"
    name = "first-and-last"

    def compress(self, text, ctx):
        lines = text.splitlines()
        marker = format_marker(ctx.ref, 2, len(lines), "lines")
        out = "\\n".join([lines[0], marker, lines[-1]])
        return Compressed(text=out, ref=ctx.ref, kept=2, total=len(lines), unit="lines")
'''


INI_PLUGIN = r'''
import re

from headroom.compressors.base import kept_lines_result
from headroom.engine.detect import Detection

SECTION = re.compile(r"^\[[^\]]+\]$")
SETTING = re.compile(r"^[\w.-]+ *= *")


class IniCompressor:
    """Keeps an INI file's section headers and marks the settings under them."""

    kind = "ini"
    name = "toy-ini"

    def detect(self, sample):
        sections = sum(1 for line in sample.lines if SECTION.match(line.strip()))
        settings = sum(1 for line in sample.lines if SETTING.match(line.strip()))
        if sections and sections + settings >= 0.9 * len(sample.lines):
            return Detection("ini", confidence=0.95)
        return None

    def compress(self, text, ctx):
        lines = text.split("\n")
        kept = [i for i, line in enumerate(lines) if SECTION.match(line.strip())]
        return kept_lines_result(lines, kept, ctx.ref)
'''
INI_FILE = "\n".join(
    f"[service-{s}]\n" + "\n".join(f"option_{k} = value {s}-{k} of a setting" for k in range(12))
    for s in range(40)
)


def install_plugin(folder: Path, module: str, entry: str, source: str = PLUGIN) -> None:
    """An installed distribution with a `headroom.compressors` entry point, as pip leaves it."""
    (folder / f"{module}.py").write_text(textwrap.dedent(source))
    info = folder / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[headroom.compressors]\n{module} = {entry}\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    return tmp_path


def test_a_compressor_plugin_is_one_module_and_an_entry_point(site: Path, store: Any) -> None:
    install_plugin(site, "headroom_first_last", "headroom_first_last:FirstAndLastLines")
    assert load_registry()["log"].name == "first-and-last"
    engine = Headroom(small_fixture_config(), store=store)
    result = engine.compress(openai_conversation(WORKER_LOG))
    out = result.messages[-1]["content"]
    assert out.splitlines()[0] == WORKER_LOG.splitlines()[0] and len(out.splitlines()) == 3
    assert set(result.compressors) == {"first-and-last"}
    (marker,) = find_markers(out)
    assert engine.retrieve(marker.ref) == WORKER_LOG  # its marker is redeemable like any


def test_a_plugin_brings_a_new_kind_with_its_own_detector(site: Path, store: Any) -> None:
    install_plugin(site, "headroom_toy_ini", "headroom_toy_ini:IniCompressor", INI_PLUGIN)
    registry = load_registry()
    assert registry["ini"].name == "toy-ini"
    # Detectors are asked in registry order: the built-ins in DEFAULT_COMPRESSORS order, then
    # entry points by name; so the plugin's comes last.
    specs = [f"{type(d).__module__}:{type(d).__name__}" for d in registry.detectors]
    assert specs == [s for s in DEFAULT_COMPRESSORS if s in specs] + [
        "headroom_toy_ini:IniCompressor"
    ]
    engine = Headroom(HeadroomConfig(), store=store)
    assert engine.router.detect(INI_FILE) == Detection("ini", confidence=0.95)
    result = engine.compress(openai_conversation(INI_FILE, "Which services are there?"))
    out = result.messages[-1]["content"]
    assert set(result.compressors) == {"toy-ini"}
    assert [line for line in out.splitlines() if not line.startswith("[headroom:")] == [
        f"[service-{s}]" for s in range(40)
    ]
    (ref,) = {marker.ref for marker in find_markers(out)}
    assert engine.retrieve(ref) == INI_FILE  # its markers are redeemable like any


class Claims:
    """A detector that claims every payload as `kind` with `confidence`."""

    def __init__(self, kind: str, confidence: float) -> None:
        self.kind, self.confidence = kind, confidence

    def detect(self, sample: Sample) -> Detection:
        return Detection(self.kind, confidence=self.confidence)


def test_detectors_are_asked_in_order_and_the_most_confident_wins_a_tie_the_first() -> None:
    text = "some text\nmore text\n"
    first, second, sure = Claims("a", 0.7), Claims("b", 0.7), Claims("c", 0.9)
    assert detect_with([first, second], text).kind == "a"
    assert detect_with([second, first], text).kind == "b"
    assert detect_with([first, second, sure], text).kind == "c"
    assert detect_with([Claims("faint", MIN_CONFIDENCE - 0.01)], text).kind == FALLBACK_KIND
    assert detect_with([sure], "\x00\x01binary").kind == "binary"


def test_plugins_are_asked_after_the_built_ins_and_by_entry_point_name(site: Path) -> None:
    # Installed in the opposite order of their names: the name decides, not the install.
    for module, kind in (("headroom_zz_ini", "ini-z"), ("headroom_aa_ini", "ini-a")):
        source = INI_PLUGIN.replace('kind = "ini"', f'kind = "{kind}"')
        source = source.replace('Detection("ini"', f'Detection("{kind}"')
        install_plugin(site, module, f"{module}:IniCompressor", source)
    registry = load_registry()
    assert detect_with(registry.detectors, INI_FILE).kind == "ini-a"  # a tie: asked first
    # A plugin as sure as a built-in does not take the built-in's payloads.
    registry.detectors.append(Claims("anything", CERTAIN))
    assert detect_with(registry.detectors, '{"a": [1, 2, 3]}').kind == "json"


def test_a_broken_plugin_is_reported_and_the_built_ins_still_run(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    install_plugin(site, "headroom_broken", "headroom_no_such_module:Nothing")
    with caplog.at_level(logging.WARNING, logger="headroom"):
        registry = load_registry()
    assert registry["log"].name == "logs"
    assert "headroom_no_such_module" in caplog.text


class GeminiContents(base.BaseProvider):
    """Google's `contents` format: `parts` of text, `functionCall` and `functionResponse`."""

    name, conversation_key = "gemini_toy", "contents"
    endpoint = Endpoint(
        upstream="gemini_toy",
        default_base_url="https://toy.example",
        path="/toy/v1/generate",
        credential_header="x-toy-key",
    )

    def claims(self, messages: Sequence[Any]) -> bool:
        return any(isinstance(m, Mapping) and "parts" in m for m in messages)

    def tool_calls_in(self, messages: Sequence[Any]) -> dict[str, ToolCall]:
        return {
            part["functionCall"]["name"]: ToolCall(part["functionCall"]["name"], None)
            for message in messages
            for part in message.get("parts", [])
            if "functionCall" in part
        }

    def message_segments(
        self, index: int, message: Mapping[str, Any], calls: Mapping[str, ToolCall], scope: Scope
    ) -> Iterator[Segment]:
        for number, part in enumerate(message.get("parts", [])):
            response = part.get("functionResponse")
            if response is not None:
                call = calls.get(response["name"], ToolCall(response["name"], None))
                path = (index, "parts", number, "functionResponse", "response", "output")
                for at, text in text_parts(response["response"].get("output"), path):
                    yield call.result(at, text)

    def tool_schema(self) -> dict[str, Any]:
        return {"name": "headroom_retrieve", "parameters": {"type": "object"}}

    def tool_calls(self, response: dict[str, Any]) -> Iterable[tuple[str, str, Any]]:
        for part in response["candidates"][0]["content"]["parts"]:
            if "functionCall" in part:
                call = part["functionCall"]
                yield call["name"], call["name"], call.get("args")

    def add_round(
        self, body: dict[str, Any], response: dict[str, Any], results: list[tuple[str, str]]
    ) -> dict[str, Any]:
        answers = [
            {"functionResponse": {"name": name, "response": {"output": text}}}
            for name, text in results
        ]
        turn = response["candidates"][0]["content"]
        return {**body, "contents": [*body["contents"], turn, {"role": "user", "parts": answers}]}

    def strip_retrieve(self, response: dict[str, Any]) -> dict[str, Any]:
        return response

    def stream_relay(self) -> base.StreamRelay:
        return OpenAIChatRelay()


def test_a_provider_is_one_class_and_a_registration(store: Any) -> None:
    contents = [
        {"role": "user", "parts": [{"text": "What failed?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "fetch_output", "args": {}}}]},
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "fetch_output", "response": {"output": WORKER_LOG}}}
            ],
        },
    ]
    gemini = GeminiContents()
    register(gemini)  # the built-in Gemini claims `contents` first: this one is named
    try:
        assert provider_named("gemini_toy") is gemini
        engine = Headroom(small_fixture_config(), store=store)
        result = engine.compress(contents, provider="gemini_toy")
        response = result.messages[2]["parts"][0]["functionResponse"]["response"]["output"]
        assert len(response) < len(WORKER_LOG) / 3 and "disk quota exceeded" in response
        assert result.messages[:2] == contents[:2]
        body = {"contents": result.messages}
        gemini.inject_tool(body)
        assert body["tools"] == [gemini.tool_schema()]
        reply = {"candidates": [{"content": {"role": "model", "parts": [
            {"functionCall": {"name": "headroom_retrieve", "args": {"ref": result.refs[0]}}}
        ]}}]}  # fmt: skip
        (call,), others = gemini.retrieve_calls(reply)
        assert call.ref == result.refs[0] and not others
        following = gemini.add_round(
            body, reply, [(call.call_id, engine.answer_retrieval(call.ref))]
        )
        (answer,) = following["contents"][-1]["parts"]
        assert answer["functionResponse"]["response"]["output"] == WORKER_LOG
    finally:
        unregister("gemini_toy")


class DictStore:
    """A CCR store in a dict: originals, decisions and the activity log, in memory."""

    def __init__(self) -> None:
        self.originals: dict[tuple[str, str], str] = {}
        self.decisions: dict[tuple[str, str], Compressed] = {}
        self.events: list[tuple[str, Compressed]] = []
        self.requests: list[tuple[str, int, int]] = []
        self.retrievals: list[tuple[str, str, bool]] = []

    def put(self, namespace: str, ref: str, original: str, *, kind: str) -> None:
        self.originals[namespace, ref] = original

    def get(self, namespace: str, ref: str) -> str | None:
        return self.originals.get((namespace, ref))

    def touch(self, namespace: str, ref: str) -> bool:
        return (namespace, ref) in self.originals

    def get_decision(self, namespace: str, key: str) -> Compressed | None:
        return self.decisions.get((namespace, key))

    def put_decision(self, namespace: str, key: str, decision: Compressed) -> Compressed:
        return self.decisions.setdefault((namespace, key), decision)

    def record(self, namespace: str, outcome: Compressed) -> None:
        self.events.append((namespace, outcome))

    def record_request(
        self, namespace: str, tokens_before: int, tokens_after: int, prefix_stability: float | None
    ) -> None:
        self.requests.append((namespace, tokens_before, tokens_after))

    def record_retrieval(self, namespace: str, ref: str, found: bool) -> None:
        self.retrievals.append((namespace, ref, found))

    def stats(self, namespace: str) -> StoreStats:
        mine = [o for n, o in self.events if n == namespace]
        return StoreStats(
            entries=sum(1 for n, _ in self.originals if n == namespace),
            bytes=sum(len(t) for (n, _), t in self.originals.items() if n == namespace),
            compressions=len(mine),
            tokens_before=sum(o.tokens_before for o in mine),
            tokens_after=sum(o.tokens_after for o in mine),
            retrievals=sum(1 for n, _, _ in self.retrievals if n == namespace),
        )

    def dashboard(self, namespace: str) -> dict[str, Any]:
        return {"requests": sum(1 for n, _, _ in self.requests if n == namespace)}

    def payload_preview(self, namespace: str, ref: str) -> dict[str, Any] | None:
        original = self.get(namespace, ref)
        return None if original is None else {"ref": ref, "original": original[:100]}

    def evict(self) -> int:
        return 0

    def close(self) -> None:
        pass


def test_a_store_is_one_class_and_keeps_everything_the_engine_keeps() -> None:
    store = DictStore()
    assert isinstance(store, CCRStore)
    engine = Headroom(small_fixture_config(), store=store)
    first = engine.compress(openai_conversation(WORKER_LOG))
    replica = Headroom(small_fixture_config(), store=store)  # sees the decision in the store
    again = replica.compress(openai_conversation(WORKER_LOG, follow_up="And what else?"))
    assert again.messages[:-1] == first.messages  # the next turn: the same bytes
    (ref,) = first.refs
    assert engine.retrieve(ref) == WORKER_LOG
    stats = engine.stats()
    assert (stats.entries, stats.compressions, stats.retrievals) == (1, 1, 1)
    assert engine.store.dashboard("default") == {"requests": 2}
    assert engine.store.payload_preview("default", ref) == {
        "ref": ref,
        "original": WORKER_LOG[:100],
    }


class NoActivity(DictStore):
    record_request = None  # type: ignore[assignment]
    dashboard = None  # type: ignore[assignment]


def test_a_store_without_the_activity_log_still_compresses_and_says_what_it_lacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="headroom"):
        engine = Headroom(small_fixture_config(), store=NoActivity())
    assert "NoActivity keeps no activity log (it lacks record_request, dashboard)" in caplog.text
    result = engine.compress(openai_conversation(WORKER_LOG))
    assert result.refs and not result.failed_open
    with pytest.raises(ActivityUnsupported, match="lacks record_request, dashboard"):
        engine.store.dashboard("default")


def test_an_object_that_cannot_keep_originals_is_refused() -> None:
    with pytest.raises(ConfigError, match="lacks put, get, touch"):
        Headroom(HeadroomConfig(), store=object())  # type: ignore[arg-type]
