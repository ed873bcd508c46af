"""Every setting a user can give has documentation, and a bad value is a ConfigError."""

import re
from pathlib import Path

import pytest

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.errors import ConfigError, StoreError
from headroom.server import ServerSettings
from headroom.server.settings import base_url_variables

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
    settings = [*HeadroomConfig.model_fields, *ServerSettings.model_fields]
    fields = {
        f"HEADROOM_{name.upper()}" for name in settings if name not in ("engine", "base_urls")
    }
    fields |= set(base_url_variables().values())  # one per registered upstream
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
        with pytest.raises(ConfigError, match=problem) as caught:
            Headroom(HeadroomConfig(store_url=url))  # refused at construction
        assert "secret" not in str(caught.value)


def test_store_passwords_never_show_in_errors_or_reprs() -> None:
    url = "postgresql+psycopg://user:s3cret-pw@127.0.0.1:1/db"  # nothing listens on port 1
    with pytest.raises(StoreError) as caught:
        SqlStore(url)
    assert "s3cret-pw" not in str(caught.value) and "user:***@" in str(caught.value)
    store = SqlStore("sqlite://")
    store.url = url  # what a PostgreSQL store would carry
    assert "s3cret-pw" not in repr(store)


def test_align_patterns_keep_their_commas_and_bad_ones_are_config_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEADROOM_ALIGN_PATTERNS", r"BUILD-\d{1,3}")
    assert HeadroomConfig.from_env().align_patterns == (r"BUILD-\d{1,3}",)
    monkeypatch.setenv("HEADROOM_ALIGN_PATTERNS", r'["run-\\d{2,4}", "job [a-z]+"]')
    assert HeadroomConfig.from_env().align_patterns == (r"run-\d{2,4}", "job [a-z]+")
    monkeypatch.setenv("HEADROOM_ALIGN_PATTERNS", "BUILD-(")
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        HeadroomConfig.from_env()


def test_a_blank_api_token_does_not_open_the_server_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEADROOM_API_TOKEN", " ")
    assert ServerSettings.from_env().api_token is None
    with pytest.raises(ConfigError, match="not loopback"):
        ServerSettings(host="0.0.0.0", api_token="  ").check()
