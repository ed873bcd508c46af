"""Shared fixtures: a clean environment, a temporary store, the benchmark corpus."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from headroom import Headroom, HeadroomConfig
from headroom.ccr.store import SqlStore

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("HEADROOM_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))


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
    yield


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    sql_store = SqlStore(f"sqlite:///{tmp_path / 'store.db'}")
    yield sql_store
    sql_store.close()


@pytest.fixture
def engine(store: SqlStore) -> Headroom:
    return Headroom(HeadroomConfig(), store=store)
