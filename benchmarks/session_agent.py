"""A scripted coding agent, run for real on this machine, for `make bench-session`.

Each session copies an installed pure-Python package into a temporary git repository,
commits a real change that breaks one function's signature (a default value changed),
generates a pytest file that pins the signatures the package had, and then investigates
and fixes it the way a coding agent does: lists files, runs the tests (they fail), reads
the test, greps, reads the module whole (`cat -n`) and in ranges (`sed -n`), reads the
commit (`git show`), reads other modules, re-reads, edits, reads the diff, reads an import
log, runs the tests again (they pass). Every tool output is what the command printed
here, now; the choices (package, module, function, which files and ranges, how many
turns) come from a seeded RNG over sorted candidates, so one machine builds the same
sessions from one seed (timings in pytest's summary line aside).
"""

from __future__ import annotations

import ast
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.wild_sources import site_packages

__all__ = ["Session", "Step", "build_sessions"]

_TIMEOUT_S = 120
_MAX_OUTPUT_CHARS = 60_000
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "agent",
    "GIT_AUTHOR_EMAIL": "agent@example.invalid",
    "GIT_COMMITTER_NAME": "agent",
    "GIT_COMMITTER_EMAIL": "agent@example.invalid",
    "GIT_AUTHOR_DATE": "2026-01-05T10:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-05T10:00:00+00:00",
}


@dataclass(frozen=True)
class Step:
    """One tool call of the agent: the command it ran and what the command printed."""

    command: str
    output: str


@dataclass
class Session:
    """One agent session: the task it was given and its tool calls in order."""

    name: str
    task: str
    steps: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class _Target:
    package: Path  # the package folder in site-packages
    module: Path  # relative to the package's parent
    function: str
    old: str  # the default value's source text
    new: str  # what the breaking commit makes it
    line: int  # the def line (1-based)
    end: int  # the function's last line
    at: tuple[int, int]  # the default value's line (1-based) and column


def _run(command: str, cwd: Path) -> str:
    """What `command` prints in `cwd` (stdout then stderr, as a terminal shows them)."""
    env = {
        **os.environ,
        **_GIT_ENV,
        "LC_ALL": "C",
        "COLUMNS": "120",
        "PYTHONPATH": str(cwd),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    try:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=_TIMEOUT_S,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return f"(timed out after {_TIMEOUT_S}s)"
    text = done.stdout + done.stderr
    return text[:_MAX_OUTPUT_CHARS]


def _candidates() -> list[Path]:
    """Pure-Python packages of a workable size, sorted."""
    found = []
    for folder in sorted(site_packages().iterdir()):
        if not (folder / "__init__.py").is_file() or folder.name.startswith("_"):
            continue
        files = list(folder.rglob("*"))
        if any(f.suffix in (".so", ".pyd") for f in files):
            continue
        python = [f for f in files if f.suffix == ".py"]
        if 6 <= len(python) <= 80 and sum(f.stat().st_size for f in python) < 1_500_000:
            found.append(folder)
    return found


def _defaults(tree: ast.Module) -> list[tuple[ast.FunctionDef, ast.Constant]]:
    """Top-level public functions with a literal default (int, bool or None)."""
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        for value in [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
            if isinstance(value, ast.Constant) and (
                value.value is None or isinstance(value.value, (bool, int))
            ):
                found.append((node, value))
    return found


def _changed(value: object) -> str:
    if value is None:
        return "0"
    if isinstance(value, bool):
        return repr(not value)
    return repr(int(value) + 1)  # type: ignore[call-overload]


def _targets(package: Path) -> list[_Target]:
    found = []
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(errors="replace")
        if not 150 <= text.count("\n") <= 900 or "\t" in text:
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node, value in _defaults(tree):
            found.append(
                _Target(
                    package=package,
                    module=path.relative_to(package.parent),
                    function=node.name,
                    old=ast.get_source_segment(text, value) or repr(value.value),
                    new=_changed(value.value),
                    line=node.lineno,
                    end=node.end_lineno or node.lineno,
                    at=(value.lineno, value.col_offset),
                )
            )
    return found


def _signatures(repo: Path, module: str, names: list[str]) -> dict[str, str]:
    """The signatures the package has now, read by importing it in a subprocess."""
    script = (
        "import inspect, importlib, json, sys; m = importlib.import_module(sys.argv[1]); "
        "print(json.dumps({n: str(inspect.signature(getattr(m, n))) for n in sys.argv[2:]}))"
    )
    out = _run(f"python -c {_quote(script)} {module} {' '.join(names)}", repo)
    try:
        import json

        result: dict[str, str] = json.loads(out.strip().splitlines()[-1])
        return result
    except (ValueError, IndexError):
        return {}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _test_file(module: str, signatures: dict[str, str]) -> str:
    """A pytest file pinning each public function's signature (generated, not written)."""
    alias = module.rsplit(".", 1)[-1]
    lines = ["import inspect\n", f"import {module} as {alias}\n"]
    for name, signature in sorted(signatures.items()):
        lines.append(
            f"\n\ndef test_{name}_signature():\n"
            f"    assert str(inspect.signature({alias}.{name})) == {signature!r}\n"
        )
    return "".join(lines)


def _dotted(module: Path) -> str:
    parts = module.with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _public_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(errors="replace"))
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    ]


def _sed_escape(text: str) -> str:
    return re.sub(r"([.\[\]*^$\\/&])", r"\\\1", text)


def _break(repo: Path, target: _Target) -> str:
    """Commit the breaking change; returns the `sed -i` command that reverts it."""
    path = repo / target.module
    lines = path.read_text(errors="replace").splitlines(keepends=True)
    row, col = target.at[0] - 1, target.at[1]
    line = lines[row]
    lines[row] = line[:col] + target.new + line[col + len(target.old) :]
    path.write_text("".join(lines))
    _run(f"git commit -qam 'Tidy the defaults of {target.function}'", repo)
    before = line[max(0, col - 8) : col]
    pattern = _sed_escape(before + target.new)
    return f"sed -i '{target.at[0]}s/{pattern}/{_sed_escape(before + target.old)}/' {target.module}"


def _workspace(target: _Target, repo: Path) -> str | None:
    """The repository of one session: the package, the pinned tests, then the breaking
    commit. Returns the fix command, or None when the module does not import here."""
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    shutil.copytree(
        target.package,
        repo / target.package.name,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    module = _dotted(target.module)
    names = [target.function, *_public_functions(repo / target.module)]
    names = list(dict.fromkeys(names))[:10]
    signatures = _signatures(repo, module, names)
    if target.function not in signatures:
        return None
    (repo / "tests").mkdir()
    alias = module.rsplit(".", 1)[-1]
    (repo / "tests" / f"test_{alias}.py").write_text(_test_file(module, signatures))
    _run(f"git init -q && git add -A && git commit -qm 'Import {target.package.name}'", repo)
    return _break(repo, target)


class _Agent:
    """Runs commands in the session's repository and records them as steps."""

    def __init__(self, repo: Path, rng: random.Random, target: _Target) -> None:
        self.repo, self.rng, self.target = repo, rng, target
        self.session_steps: list[Step] = []
        self.shown: list[str] = [str(target.module)]
        package = target.package.name
        self.files = sorted(
            str(p.relative_to(repo))
            for p in (repo / package).rglob("*.py")
            if p.stat().st_size < 40_000
        )
        self.names = _public_functions(repo / target.module) or [target.function]

    def do(self, command: str) -> str:
        output = _run(command, self.repo)
        self.session_steps.append(Step(command, output if output.strip() else "(no output)"))
        return output

    def explore(self) -> None:
        """One investigation step, chosen by the RNG."""
        rng, t = self.rng, self.target
        action = rng.choices(
            ["cat", "reread", "range", "grep", "outline", "tests", "head"],
            weights=[3, 3, 4, 3, 1, 1, 1],
        )[0]
        if action == "cat":
            path = rng.choice(self.files)
            self.shown.append(path)
            self.do(f"cat {path}")
        elif action == "reread":
            self.do(f"cat -n {rng.choice(self.shown)}")
        elif action == "range":
            path = rng.choice(self.shown)
            size = (self.repo / path).read_text(errors="replace").count("\n") + 1
            start = rng.randrange(1, max(2, size - 20))
            self.do(f"sed -n {start},{start + rng.randrange(20, 80)}p {path}")
        elif action == "grep":
            self.do(f'grep -rn "{rng.choice(self.names)}" {t.package.name}')
        elif action == "outline":
            self.do(f'grep -n "^def \\|^class " {rng.choice(self.shown)}')
        elif action == "tests":
            self.do(f"python -m pytest -q -p no:cacheprovider tests -k {rng.choice(self.names)}")
        else:
            self.do(f"head -n 60 {rng.choice(self.shown)}")


def _play(agent: _Agent, fix: str, turns: int) -> None:
    """The session's script: investigate, fix, check."""
    t, rng = agent.target, agent.rng
    package, module = t.package.name, str(t.module)
    alias = _dotted(t.module).rsplit(".", 1)[-1]
    agent.do("git log --oneline -n 5")
    agent.do(f"find {package} -name '*.py' | sort")
    agent.do("python -m pytest -q -p no:cacheprovider tests")
    agent.do(f"cat tests/test_{alias}.py")
    hits = agent.do(f'grep -rn "{t.function}" {package}')
    agent.do(f"cat -n {module}")
    agent.do(f"sed -n {t.line},{t.end}p {module}")
    agent.do("git show HEAD")
    for path in sorted({line.split(":", 1)[0] for line in hits.splitlines() if ":" in line})[:2]:
        if path != module and path in agent.files:
            agent.shown.append(path)
            agent.do(f"cat {path}")
    fillers = max(0, turns - len(agent.session_steps) - 6)
    log_at = rng.randrange(fillers + 1)
    for index in range(fillers):
        if index == log_at:
            agent.do(f'python -X importtime -c "import {_dotted(t.module)}" 2>&1 | tail -n 60')
        agent.explore()
    agent.do(fix)
    agent.do("git diff")
    agent.do(f"sed -n {max(1, t.line - 5)},{t.end + 5}p {module}")
    agent.do("python -m pytest -q -p no:cacheprovider tests")
    agent.do("git diff --stat")


def build_sessions(seed: int, count: int = 5, root: Path | None = None) -> list[Session]:
    """`count` sessions of 20-60 turns, one package each, chosen by `seed`."""
    rng = random.Random(seed)
    base = root or Path("/tmp") / f"headroom-bench-session-{seed}"
    packages = _candidates()
    rng.shuffle(packages)
    sessions: list[Session] = []
    for package in packages:
        if len(sessions) == count:
            break
        targets = _targets(package)
        if not targets:
            continue
        target = rng.choice(targets)
        repo = base / f"s{len(sessions)}" / "repo"
        fix = _workspace(target, repo)
        if fix is None:
            continue
        agent = _Agent(repo, rng, target)
        _play(agent, fix, rng.randint(20, 60))
        task = (
            f"The tests in tests/ fail since the last commit to {package.name}. "
            "Find the cause and fix it."
        )
        sessions.append(Session(f"{package.name}.{target.function}", task, agent.session_steps))
    return sessions
