"""More real payloads for `make bench-wild`: shapes an agent meets that are none of the
common kinds, or a common kind in an uncommon dress.

A `git blame` of a source file, a hex dump of a program, several files' `head`, a CSV with
a comment before its header, generated code (protobuf modules, lookup tables), a source
file read with its line numbers (`cat -n`, as an editor tool shows it), pytest's quiet
output and a Python import-time profile. All are read or run on this machine at run
time, like the rest of `wild_sources`; none is tuned for.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from pathlib import Path

from benchmarks import wild_sources as sources

__all__ = ["shapes"]

_REPO = Path(__file__).resolve().parent.parent
_HEAD_FILES = 8  # files in one several-file `head`
_GENERATED = ("_pb2.py", "_table.py", "_tables.py", "_data.py", "_constants.py")


def shapes(rng: random.Random) -> Iterator[sources.Source]:
    """Each shape's payload, where this machine has what it needs."""
    engine = sorted((_REPO / "packages/headroom/src/headroom").rglob("*.py"))
    engine = [p for p in engine if p.stat().st_size >= sources.MIN_FILE_CHARS]
    for path in rng.sample(engine, min(1, len(engine))):
        relative = str(path.relative_to(_REPO))
        blame = sources.run(["git", "-C", str(_REPO), "blame", relative])
        yield sources.Source(f"git blame {path.name}", "log", blame)
    binaries = sorted(p for p in Path("/usr/bin").iterdir() if p.is_file() and 20_000 < p.stat().st_size < 60_000)  # fmt: skip
    for path in rng.sample(binaries, min(1, len(binaries))):
        yield sources.Source(f"xxd {path.name}", "log", sources.run(["xxd", str(path)]))
    configs = sorted(p for p in Path("/etc").glob("*.conf") if p.is_file() and p.stat().st_size > 300)  # fmt: skip
    chosen = sorted(rng.sample(configs, min(_HEAD_FILES, len(configs))))
    if len(chosen) >= 2:
        head = sources.run(["head", "-n", "60", *map(str, chosen)])
        yield sources.Source(f"head -n 60 /etc/*.conf ({len(chosen)} files)", "config", head)
    fields = "${Package},${Version},${Architecture},${Installed-Size}\n"
    rows = sources.run(["dpkg-query", "-W", "-f", fields])
    if rows:
        preamble = "# installed packages, from dpkg-query\n# size in KiB\n"
        table = preamble + "package,version,arch,size_kb\n" + rows
        yield sources.Source("packages-commented.csv", "csv", table)
    site = sources.site_packages()
    generated = [p for p in sources.walk(site, _GENERATED) if p.stat().st_size >= 20_000]
    for path in rng.sample(generated, min(1, len(generated))):
        yield sources.Source(f"{path.parent.name}/{path.name}", "code", path.read_text(errors="replace"))  # fmt: skip
    modules = [p for p in sources.walk(site, (".py",)) if 12_000 <= p.stat().st_size <= 60_000]
    for path in rng.sample(modules, min(1, len(modules))):
        numbered = sources.run(["cat", "-n", str(path)])
        yield sources.Source(f"cat -n {path.parent.name}/{path.name}", "code", numbered)
    imports = "import json, asyncio, email.parser, http.client, logging.handlers, xml.dom.minidom"
    profile = sources.run([sys.executable, "-X", "importtime", "-c", imports])
    yield sources.Source("python -X importtime", "log", profile)
