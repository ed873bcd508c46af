"""Shared fixtures: a clean environment, a temporary store, the benchmark corpus."""

from __future__ import annotations

import json
import os

# LiteLLM fetches its model cost map over the network when imported unless told not to: set
# once, here, before any test module imports it (subprocesses the tests start inherit it).
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from tests.fake_gemini import gemini_upstream  # noqa: F401 - a shared fixture
from tests.fakes import upstream  # noqa: F401 - a shared fixture

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPUS = REPO_ROOT.parent / "shared" / "corpus"
# The benchmark corpus beside the repository when there is one, else the demo payloads the
# repository carries (the same manifest format), so a fresh clone tests on real data too.
CORPUS = Path(
    os.environ.get(
        "HEADROOM_CORPUS",
        SHARED_CORPUS
        if (SHARED_CORPUS / "manifest.json").is_file()
        else REPO_ROOT / "examples" / "data",
    )
)


# Property tests run a bounded, reproducible set of examples (the same on every run, so a
# red CI run is never luck); `make fuzz` runs many more, freshly drawn each time.
for _name, _examples in (("default", 40), ("fuzz", 3000)):
    settings.register_profile(
        _name,
        max_examples=_examples,
        derandomize=_name == "default",
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# `make test-fast` runs `-m "not slow"`. Slow: a test that starts a Headroom server (uvicorn)
# or PostgreSQL, runs a subprocess (the MCP server, the CLI, examples, docs blocks) or
# walks the corpus. Marked here by what a test uses, so a new test is marked as it is written;
# a module marks anything else itself with `pytestmark = pytest.mark.slow`.
SLOW_FIXTURES = {"headroom_server", "postgres_server_url"}
SLOW_MODULES = {
    "test_docs.py",  # every runnable block of the docs, each a subprocess
    "test_examples.py",  # the example scripts, each a subprocess
    "test_mcp.py",  # the MCP server over stdio
    "test_corpus.py",  # every corpus file through every compressor
    "test_audit.py",  # the integrity audit over the corpus
    "test_http_fuzz.py",  # raw HTTP bodies against a real server
    "test_replicas.py",  # several processes sharing one store
    "test_store_concurrency.py",  # threads and processes racing on one store
    "test_integrity.py",  # every corpus file checked line by line
    "test_proxy_process.py",  # a real LiteLLM proxy process per test
}


SLOW_FOLDERS = {"server"}  # tests/headroom/server: the app on a real uvicorn server


def _is_slow(item: pytest.Item) -> bool:
    if set(getattr(item, "fixturenames", ())) & SLOW_FIXTURES:
        return True
    if item.path.name in SLOW_MODULES or item.path.parent.name in SLOW_FOLDERS:
        return True
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return "postgresql" in params or any(isinstance(p, CorpusFile) for p in params)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _is_slow(item):
            item.add_marker(pytest.mark.slow)


SMALL_FIXTURE_BUDGET = {
    "budget_scale": "0.25",
    "budget_exponent": "1.0",
    "min_budget_tokens": "400",
}


def small_fixture_config(**overrides: object) -> HeadroomConfig:
    """A config whose budget compresses small test fixtures (see `clean_environ`)."""
    return HeadroomConfig.from_env().with_overrides(**overrides)


@dataclass(frozen=True)
class CorpusFile:
    id: str
    path: Path
    kind: str
    language: str | None
    needles: list[str]

    def text(self) -> str:
        return self.path.read_bytes().decode("utf-8")


def corpus_files(kind: str | None = None) -> list[CorpusFile]:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    files = [
        CorpusFile(f["id"], CORPUS / f["path"], f["kind"], f.get("language"), f["needles"])
        for f in manifest["files"]
    ]
    return [f for f in files if kind is None or f.kind == kind]


@pytest.fixture(autouse=True)
def clean_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("HEADROOM_") and name != "HEADROOM_CORPUS":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HEADROOM_HOME", str(tmp_path / "home"))
    # Engines built from the environment get a flat 25% budget (at least 400 tokens), so the
    # small fixtures of mechanics tests are compressed; HeadroomConfig() keeps the defaults.
    for name, value in SMALL_FIXTURE_BUDGET.items():
        monkeypatch.setenv(f"HEADROOM_{name.upper()}", value)
    yield


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    from tests.postgres import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store location on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'contract.db'}"
        return
    from tests.postgres import fresh_database

    with fresh_database(request.getfixturevalue("postgres_server_url")) as url:
        yield url


@pytest.fixture
def make_store() -> Iterator[Callable[..., SqlStore]]:
    """Opens SqlStores and closes them all when the test ends."""
    opened: list[SqlStore] = []

    def factory(url: str, **kwargs: object) -> SqlStore:
        opened.append(SqlStore(url, **kwargs))  # type: ignore[arg-type]
        return opened[-1]

    yield factory
    for sql_store in opened:
        sql_store.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    sql_store = SqlStore(f"sqlite:///{tmp_path / 'store.db'}")
    yield sql_store
    sql_store.close()


@pytest.fixture
def engine(store: SqlStore) -> Headroom:
    return Headroom(HeadroomConfig(), store=store)
