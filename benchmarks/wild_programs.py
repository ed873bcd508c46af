"""Programs generated into a temporary directory and run for real, for `make bench-wild`:
a C file with warnings under gcc, type and lint checks of installed packages, a Python
program and a Java program that fail with chained exceptions, and test runs with failures
under pytest and `node --test`. The programs are generated; every output is real."""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

from benchmarks import wild_sources as sources

__all__ = ["lint_targets", "runs"]


def lint_targets(rng: random.Random, site: Path, count: int) -> list[Path]:
    """Installed pure-Python packages of a size a linter gets through in seconds."""
    fit = []
    for folder in sorted(p for p in site.iterdir() if p.is_dir() and (p / "__init__.py").is_file()):
        files = list(folder.rglob("*.py"))
        if 5 <= len(files) <= 40 and 40_000 <= sum(f.stat().st_size for f in files) <= 400_000:
            fit.append(folder)
    return rng.sample(fit, min(count, len(fit)))


_C_SNIPPETS = (
    "    int unused_{i} = {n};\n",
    "    for (int j = 0; j < len; j++) total += j;\n",
    '    printf("%d\\n", (long)len + {n});\n',
    "    int later_{i};\n    total += later_{i};\n",
    "    switch (len % 3) {{\n    case 0: total++;\n    case 1: total += {n}; break;\n    default: break;\n    }}\n",
    "    if (total = {n}) total--;\n",
    '    char *name_{i} = "{n}";\n    (void)name_{i};\n',
)


def c_with_warnings(rng: random.Random, functions: int = 60) -> str:
    """A C file whose functions hold constructs gcc -Wall -Wextra warns about."""
    out = ["#include <stdio.h>\n#include <stddef.h>\n"]
    for i in range(functions):
        body = "".join(rng.choice(_C_SNIPPETS).format(i=i, n=rng.randrange(1000)) for _ in range(3))
        ret = "" if rng.random() < 0.2 else "    return total;\n"
        out.append(
            f"\nint step_{i}(size_t len, int flags_{i})\n{{\n    int total = 0;\n{body}{ret}}}\n"
        )
    return "".join(out)


_PYTHON_FAILURE = """
import configparser, copy, json, pathlib

def load(path):
    return json.loads(pathlib.Path(path).read_text())

def read_settings(name):
    try:
        return load(name)
    except FileNotFoundError as exc:
        raise RuntimeError(f"settings file {name} could not be loaded") from exc

def nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value

def snapshot(state):
    try:
        return copy.deepcopy(state)
    except RecursionError as exc:
        raise ValueError("state too deep to snapshot") from exc

def main():
    try:
        read_settings("/nonexistent/headroom-wild/settings.json")
    except RuntimeError:
        try:
            snapshot(nested(5000))
        finally:
            parser = configparser.ConfigParser()
            parser.read_string("[server]\\nport = 8080\\n[server]\\nport = 9090\\n")

main()
"""

_JAVA_FAILURE = """
import java.util.*;
import java.util.stream.*;

public class Main {
    static int parse(String cell) {
        try {
            return Integer.parseInt(cell.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("bad cell '" + cell + "' in column size", e);
        }
    }
    static List<Integer> load(List<String> rows) {
        return rows.stream().map(Main::parse).collect(Collectors.toList());
    }
    static void importFile(String name) {
        try {
            load(Arrays.asList("12", " 40", "7x", "3"));
        } catch (RuntimeException e) {
            throw new RuntimeException("import of " + name + " failed", e);
        }
    }
    static int walk(Map<String, Object> node, int depth) {
        if (depth == 0) {
            return ((String) node.get("missing")).length();
        }
        return walk(node, depth - 1) + 1;
    }
    static void sortRows(List<int[]> rows) {
        rows.sort(Comparator.comparingInt(row -> row[2]));
    }
    public static void main(String[] args) {
        for (String name : Arrays.asList("inventory.csv", "prices.csv", "stock.csv")) {
            try {
                importFile(name);
            } catch (RuntimeException e) {
                e.printStackTrace();
            }
        }
        try {
            walk(new HashMap<>(), 30);
        } catch (NullPointerException e) {
            new IllegalArgumentException("tree walk failed", e).printStackTrace();
        }
        List<int[]> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) rows.add(i == 17 ? new int[] {i} : new int[] {i, i, 40 - i});
        sortRows(rows);
    }
}
"""


def pytest_file(rng: random.Random, cases: int = 48) -> str:
    """Tests of small real computations, some of which fail (seeded)."""
    lines = ["import json, math, statistics\n\nimport pytest\n"]
    for i in range(cases):
        a, b = rng.randrange(1, 500), rng.randrange(1, 500)
        wrong = rng.random() < 0.15
        check = rng.choice(
            (
                f"    assert {a} + {b} == {a + b + int(wrong)}",
                f"    assert sorted([{b}, {a}, 3]) == {sorted([a, b, 3])[:: -1 if wrong else 1]}",
                f"    assert json.loads('{{\"n\": {a}, \"ok\": true}}') == {{'n': {a + int(wrong)}, 'ok': True}}",
                f"    assert statistics.mean([{a}, {b}]) == pytest.approx({(a + b) / 2 + (1.5 if wrong else 0)})",
                f"    assert math.isqrt({a * a}) == {a - int(wrong)}",
            )
        )
        lines.append(f"\ndef test_case_{i}_{a}_{b}():\n{check}\n")
    lines.append("\ndef test_missing_file():\n    open('/nonexistent/headroom-wild/input.txt')\n")
    return "".join(lines)


_NODE_TESTS = """
import { test } from 'node:test';
import assert from 'node:assert/strict';

for (let i = 0; i < 30; i++) {
  test(`sum ${i}`, () => {
    assert.equal([1, 2, i].reduce((a, b) => a + b, 0), 3 + i + (i % 11 === 7 ? 1 : 0));
  });
}
test('parses a config', () => {
  assert.deepEqual(JSON.parse('{"port": 8080, "hosts": ["a", "b"]}'), { port: 8080, hosts: ['a', 'c'] });
});
test('reads a file', async () => {
  const { readFile } = await import('node:fs/promises');
  await readFile('/nonexistent/headroom-wild/config.json');
});
"""


def runs(rng: random.Random) -> Iterator[sources.Source]:
    """Each program's output, run in a fresh temporary directory."""
    with tempfile.TemporaryDirectory(prefix="headroom-wild-") as tmp:
        work = Path(tmp)
        (work / "wild.c").write_text(c_with_warnings(rng))
        gcc = ["gcc", "-Wall", "-Wextra", "-fdiagnostics-color=never", "-c", "wild.c", "-o", "/dev/null"]  # fmt: skip
        yield sources.Source("gcc -Wall -Wextra wild.c", "diagnostics", sources.run(gcc, cwd=work))
        for found in lint_targets(rng, sources.site_packages(), 1):
            # A copy: mypy refuses files under site-packages (they shadow installed modules).
            target = Path(shutil.copytree(found, work / found.name))
            mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=skip"]  # fmt: skip
            mypy += ["--ignore-missing-imports", "--cache-dir", str(work / "mypy"), str(target)]
            yield sources.Source(f"mypy --strict {target.name}", "diagnostics", sources.run(mypy, cwd=work))  # fmt: skip
            yield sources.Source(f"mypy -O json {target.name}", "jsonl", sources.run([*mypy, "-O", "json"], cwd=work))  # fmt: skip
            ruff = [
                sys.executable,
                "-m",
                "ruff",
                "check",
                "--no-cache",
                "--select",
                "ALL",
                str(target),
            ]
            yield sources.Source(f"ruff check {target.name}", "diagnostics", sources.run(ruff, cwd=work))  # fmt: skip
            ruff += ["--output-format", "json-lines"]
            yield sources.Source(f"ruff check {target.name} json-lines", "jsonl", sources.run(ruff, cwd=work))  # fmt: skip
        (work / "fail.py").write_text(textwrap.dedent(_PYTHON_FAILURE))
        yield sources.Source("python fail.py", "trace", sources.run([sys.executable, "fail.py"], cwd=work))  # fmt: skip
        (work / "Main.java").write_text(_JAVA_FAILURE)
        sources.run(["javac", "Main.java"], cwd=work)
        if (work / "Main.class").is_file():
            yield sources.Source("java Main", "trace", sources.run(["java", "-cp", ".", "Main"], cwd=work))  # fmt: skip
        (work / "pytest.ini").write_text("[pytest]\n")
        (work / "test_wild.py").write_text(pytest_file(rng))
        pytest = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "test_wild.py"]
        yield sources.Source("pytest -v test_wild.py", "test", sources.run(pytest, cwd=work))
        # pytest's junit report is compact XML: the passing cases on few, very long lines
        (work / "test_many.py").write_text(pytest_file(rng, cases=600))
        junit = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_many.py"]
        sources.run([*junit, "--junitxml=report.xml"], cwd=work)
        report = (work / "report.xml").read_text(errors="replace")
        yield sources.Source("pytest --junitxml report.xml", "test", report)
        (work / "wild.test.mjs").write_text(_NODE_TESTS)
        yield sources.Source("node --test", "test", sources.run(["node", "--test", "wild.test.mjs"], cwd=work))  # fmt: skip
