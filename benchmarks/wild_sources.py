"""Real payloads from this machine, built at run time for `make bench-wild`.

Nothing here is hand-written output or downloaded: files are read from installed packages
and system directories, and command outputs are what the commands print now. Where a
program is needed to produce an output (a failing test run, a chained exception, a C file
with warnings) the program is generated into a temporary directory and run for real.
Choices among candidates (which file, which package) are made by a seeded RNG over sorted
candidate lists, so two runs on one machine build the same payloads (`ps` aside).
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BUILDERS", "Source", "build_sources", "run", "site_packages"]

MIN_CHARS, MAX_CHARS = 1_500, 160_000
MIN_FILE_CHARS = 4_000  # files smaller than this are mostly left whole by any budget
_TIMEOUT_S = 120
_WALK_LIMIT = 60_000  # directory entries looked at per root, so a walk stays bounded
_REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Source:
    """One payload: the name the tool call gives it, the kind it is judged as, its text."""

    name: str
    kind: str
    text: str


def _cap(text: str) -> str:
    """`text` cut at the last line break before `MAX_CHARS` (a long output's head)."""
    if len(text) <= MAX_CHARS:
        return text
    return text[: text.rfind("\n", 0, MAX_CHARS) + 1]


def run(args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """What `args` prints (stdout, then stderr), or "" when the program is missing."""
    if shutil.which(args[0]) is None and not Path(args[0]).is_file():
        return ""
    try:
        done = subprocess.run(
            args,
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=_TIMEOUT_S,
            env={**os.environ, "LC_ALL": "C", "COLUMNS": "120", **(env or {})},
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout + done.stderr


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def walk(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Files under `root` ending in one of `suffixes`, sized for a payload, in sorted order;
    at most `_WALK_LIMIT` directory entries are looked at."""
    found: list[Path] = []
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        seen += len(dirs) + len(files)
        for name in sorted(files):
            path = Path(folder) / name
            if name.endswith(suffixes) and not path.is_symlink():
                size = path.stat().st_size
                if MIN_FILE_CHARS <= size <= MAX_CHARS:
                    found.append(path)
        if seen > _WALK_LIMIT:
            break
    return found


def _pick(rng: random.Random, items: list[Path], count: int) -> list[Path]:
    return rng.sample(items, min(count, len(items)))


def _read(path: Path) -> str:
    return path.read_text(errors="replace")


def _files(rng: random.Random, roots: list[Path], suffixes: tuple[str, ...], count: int, kind: str,
           skip: Callable[[Path], bool] = lambda _: False) -> Iterator[Source]:  # fmt: skip
    candidates = [p for root in roots if root.is_dir() for p in walk(root, suffixes)]
    for path in _pick(rng, [p for p in candidates if not skip(p)], count):
        yield Source(f"{path.parent.name}/{path.name}", kind, _read(path))


def _js_roots() -> list[Path]:
    """The JS package's installed dependencies (of this checkout, or of the main checkout
    when this is a linked worktree without them) and the global node modules."""
    common = run(
        ["git", "-C", str(_REPO), "rev-parse", "--path-format=absolute", "--git-common-dir"]
    )
    main = Path(common.strip()).parent if common.strip() else _REPO
    ours = _REPO / "integrations/js/node_modules"
    return [
        ours if ours.is_dir() else main / "integrations/js/node_modules",
        Path("/usr/lib/node_modules"),
    ]


def source_files(rng: random.Random) -> Iterator[Source]:
    """Source files of several languages from installed packages and system headers."""
    site = site_packages()
    yield from _files(rng, [site], (".py",), 3, "code")
    yield from _files(rng, [Path("/usr/include")], (".h",), 2, "code")
    yield from _files(rng, [Path("/usr/share/doc"), site, Path("/usr/lib/node_modules")], (".c",), 1, "code")  # fmt: skip
    js = _js_roots()
    minified = re.compile(r"\.min\.js$")
    yield from _files(rng, js, (".js",), 2, "code", lambda p: bool(minified.search(p.name)))
    yield from _files(rng, js, (".d.ts",), 2, "code")


def config_files(rng: random.Random) -> Iterator[Source]:
    """YAML, TOML, XML, INI-style and markdown files found on disk."""
    roots = [Path("/etc"), site_packages(), Path("/usr/lib/node_modules"), Path("/usr/share")]
    yield from _files(rng, roots, (".yaml", ".yml"), 2, "config")
    yield from _files(rng, roots, (".toml",), 1, "config")
    yield from _files(rng, roots, (".xml",), 2, "config")
    yield from _files(rng, [Path("/etc"), site_packages()], (".ini", ".cfg", ".conf"), 2, "config")
    yield from _files(rng, roots, (".md",), 2, "docs")


def listings(rng: random.Random) -> Iterator[Source]:
    """Package and file listings from real commands."""
    site = site_packages()
    yield Source("dpkg -l", "listing", run(["dpkg", "-l"]))
    lists = sorted(Path("/var/lib/dpkg/info").glob("*.list"))
    sized = [p for p in lists if 150 <= _read(p).count("\n") <= 3000]
    for path in _pick(rng, sized, 1):
        yield Source(f"dpkg -L {path.stem}", "listing", run(["dpkg", "-L", path.stem]))
    dists = sorted(p for p in site.glob("*.dist-info") if (p / "RECORD").is_file())
    sized = [p for p in dists if 100 <= _read(p / "RECORD").count("\n") <= 2500]
    for path in _pick(rng, sized, 1):
        name = path.name.split("-")[0]
        yield Source(f"pip show -f {name}", "listing", run([sys.executable, "-m", "pip", "show", "-f", name]))  # fmt: skip
    yield Source("pip list", "listing", run([sys.executable, "-m", "pip", "list"]))
    yield Source("ls -la /usr/lib", "listing", run(["ls", "-la", "/usr/lib"]))
    printf = "%M %u %8s %TY-%Tm-%Td %p\\n"
    yield Source("find /usr/share/doc -printf", "listing", run(["find", "/usr/share/doc", "-maxdepth", "2", "-printf", printf]))  # fmt: skip
    packages = sorted(p for p in site.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    for path in _pick(rng, packages, 1):
        yield Source(f"du -ah {path.name}", "listing", run(["du", "-ah", str(path)]))
    yield Source("ps aux", "listing", run(["ps", "aux"]))


def command_outputs(rng: random.Random) -> Iterator[Source]:
    """History, search, documentation and system logs."""
    yield Source("git log -p -n 5", "diff", run(["git", "-C", str(_REPO), "log", "-p", "-n", "5"]))
    site = site_packages()
    packages = sorted(p for p in site.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    for path in _pick(rng, packages, 2):
        word = rng.choice(["deprecated", "TODO", "raise ValueError", "warnings.warn"])
        yield Source(f"grep -rn '{word}' {path.name}", "search", run(["grep", "-rn", word, str(path)]))  # fmt: skip
    module = rng.choice(["argparse", "json", "pathlib", "subprocess", "logging"])
    yield Source(f"pydoc {module}", "docs", run([sys.executable, "-m", "pydoc", module]))
    page = rng.choice(["find", "ls", "grep", "tar", "ssh", "git-log"])
    manual = run(["man", "-P", "cat", page], env={"MANWIDTH": "100"})
    yield Source(f"man {page}", "docs", re.sub(".\x08", "", manual))
    for log in (Path("/var/log/dpkg.log"), Path("/var/log/apt/history.log")):
        if log.is_file():
            yield Source(log.name, "log", _read(log)[-MAX_CHARS:].split("\n", 1)[-1])


def tabular(rng: random.Random) -> Iterator[Source]:
    """CSV made from system data."""
    rows = [line.split(":") for line in _read(Path("/etc/passwd")).splitlines() if line]
    header = ["user", "password", "uid", "gid", "gecos", "home", "shell"]
    yield Source("passwd.csv", "csv", _csv([header, *rows]))
    fields = "${Package}\t${Version}\t${Architecture}\t${Installed-Size}\t${Status}\n"
    packages = [line.split("\t") for line in run(["dpkg-query", "-W", "-f", fields]).splitlines()]
    yield Source("packages.csv", "csv", _csv([["package", "version", "arch", "size_kb", "status"], *packages]))  # fmt: skip
    ps = run(["ps", "-eo", "pid,ppid,user,rss,vsz,stat,etime,comm"]).splitlines()
    yield Source("processes.csv", "csv", _csv([line.split(None, 7) for line in ps]))


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


Builder = Callable[[random.Random], Iterator[Source]]
BUILDERS: tuple[Builder, ...] = (source_files, config_files, listings, command_outputs, tabular)


def build_sources(seed: int, builders: tuple[Builder, ...] = BUILDERS) -> list[Source]:
    """Every payload `builders` give on this machine, capped in size; commands that failed
    or printed too little are left out."""
    out: list[Source] = []
    for build in builders:
        rng = random.Random(f"{seed}:{build.__name__}")  # one builder's choices move no other's
        for source in build(rng):
            text = _cap(source.text)
            if len(text) >= MIN_CHARS:
                out.append(Source(source.name, source.kind, text))
    return out
