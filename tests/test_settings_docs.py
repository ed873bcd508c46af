"""Every setting a user can give has documentation, and a bad value is a ConfigError."""

import re
from pathlib import Path

import pytest

from headroom import Headroom, HeadroomConfig
from headroom.errors import ConfigError
from headroom.server import ServerSettings

REPO = Path(__file__).resolve().parent.parent
SOURCES = [
    *sorted((REPO / "packages" / "headroom" / "src").rglob("*.py")),
    *sorted((REPO / "integrations").glob("*/src/**/*.py")),
    *sorted((REPO / "integrations" / "js" / "src").glob("*.ts")),
]


def documented_variables() -> set[str]:
    page = (REPO / "docs" / "environment-variables.md").read_text()
    return set(re.findall(r"`(HEADROOM_[A-Z_]+)`", page))


def test_every_variable_the_code_reads_is_documented() -> None:
    read = {name for path in SOURCES for name in re.findall(r"HEADROOM_[A-Z_]+", path.read_text())}
    read.discard("HEADROOM_")  # the prefix itself (config fields are checked below)
    fields = {f"HEADROOM_{name.upper()}" for name in HeadroomConfig.model_fields}
    assert (read | fields) - documented_variables() == set()


def test_bad_values_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADROOM_BUDGET_EXPONENT", "2")
    with pytest.raises(ConfigError, match="budget_exponent"):
        HeadroomConfig.from_env()
    monkeypatch.setenv("HEADROOM_BUDGET_EXPONENT", "0.5")
    monkeypatch.setenv("HEADROOM_MAX_REQUEST_BYTES", "lots")
    with pytest.raises(ConfigError, match="HEADROOM_MAX_REQUEST_BYTES"):
        ServerSettings.from_env()
    for url, problem in [
        ("mysql://user:secret@127.0.0.1/db", "SQLite .* or PostgreSQL"),
        ("not a url", "not a database URL"),
    ]:
        engine = Headroom(HeadroomConfig(store_url=url))
        with pytest.raises(ConfigError, match=problem) as caught:
            _ = engine.store
        assert "secret" not in str(caught.value)
