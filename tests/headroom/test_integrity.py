"""The integrity audit (DESIGN "Integrity"; the rule is in `tests/audit.py`): every corpus
file and every example payload through the engine with default settings and the generic
question, as `../shared/tools/integrity.py` runs them. Each output line is an original line
or carries a marker that fits, gap counts add up, and marker text stays cheap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from headroom import Headroom, HeadroomConfig, count_tokens
from headroom.ccr import SqlStore
from tests.audit import Audit, audit
from tests.conftest import CORPUS, REPO_ROOT, CorpusFile, corpus_files
from tests.conversations import openai_conversation

EXAMPLES = REPO_ROOT / "examples" / "data"
MAX_MARKER_SHARE = 0.03


def _example_files() -> list[CorpusFile]:
    if EXAMPLES.resolve() == CORPUS.resolve():
        return []  # the corpus is the examples: audited once
    manifest = json.loads((EXAMPLES / "manifest.json").read_text())
    return [
        CorpusFile(f"examples/{f['id']}", EXAMPLES / f["path"], f["kind"], None, f["needles"])
        for f in manifest["files"]
    ]


FILES = corpus_files() + _example_files()


def _count(text: str) -> int:
    return count_tokens(text, model="gpt-4o")


@pytest.fixture(scope="module")
def audits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Audit]]:
    """Each file compressed once in a fresh store, after a generic question."""
    store = SqlStore(f"sqlite:///{tmp_path_factory.mktemp('integrity') / 'store.db'}")
    engine = Headroom(HeadroomConfig(), store=store)
    found = {}
    for f in FILES:
        name = Path(f.id).name
        question = f"Look at {name} and tell me what matters in it."
        arguments = json.dumps({"source": name})
        messages = openai_conversation(f.text(), question, system=None, arguments=arguments)
        result = engine.compress(messages)
        content = result.messages[-1]["content"]
        output = content if isinstance(content, str) else json.dumps(content)
        found[f.id] = audit(f.text(), output, f.kind, _count)
    yield found
    store.close()


@pytest.mark.parametrize("corpus_file", FILES, ids=lambda f: f.id)
def test_every_output_line_is_an_original_line_or_a_fitting_marker(
    audits: dict[str, Audit], corpus_file: CorpusFile
) -> None:
    bad = audits[corpus_file.id].violations
    assert not bad, f"{len(bad)} output lines are not in the original, e.g.\n" + "\n".join(
        line[:240] for line in bad[:5]
    )


@pytest.mark.parametrize("corpus_file", FILES, ids=lambda f: f.id)
def test_kept_lines_and_gap_counts_add_up_to_the_original(
    audits: dict[str, Audit], corpus_file: CorpusFile
) -> None:
    assert audits[corpus_file.id].count_errors == []


def test_marker_text_is_at_most_3_percent_of_the_output(audits: dict[str, Audit]) -> None:
    marker = sum(a.marker_tokens for a in audits.values())
    output = sum(a.output_tokens for a in audits.values())
    worst = sorted(audits, key=lambda k: audits[k].marker_tokens / max(audits[k].output_tokens, 1))
    share = marker / max(output, 1)
    assert share <= MAX_MARKER_SHARE, (
        f"marker tokens are {share:.1%} of output (worst: {worst[-3:]})"
    )
