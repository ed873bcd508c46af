"""The distributions build as wheels and install into a fresh virtualenv, offline, under
names free on PyPI; each still imports by its old name."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.version import Version

from headroom._version import DISTRIBUTION, __version__

REPO = Path(__file__).resolve().parent.parent
PROJECTS = {  # source folder -> the module it installs
    "packages/headroom": "headroom",
    "integrations/langchain": "headroom_langchain",
    "integrations/llamaindex": "headroom_llamaindex",
    "integrations/litellm": "headroom_litellm",
}


def _name(folder: str) -> str:
    return str(tomllib.loads((REPO / folder / "pyproject.toml").read_text())["project"]["name"])


def test_distribution_names_are_ours_and_adapters_depend_on_the_engine() -> None:
    assert _name("packages/headroom") == DISTRIBUTION == "headroom-compress"
    for folder in PROJECTS:
        if folder.startswith("integrations/"):
            framework = folder.split("/")[1]
            project = tomllib.loads((REPO / folder / "pyproject.toml").read_text())["project"]
            assert project["name"] == f"headroom-compress-{framework}"
            assert any(d.startswith(f"{DISTRIBUTION}>=") for d in project["dependencies"])


def _run(*command: str | Path, cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only what is installed
    run = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, f"{command}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run.stdout


@pytest.mark.slow
def test_wheels_install_offline_into_a_fresh_venv_and_import(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    for folder in PROJECTS:
        # Built from a copy: an in-tree build would leave build/ and egg-info in the clone.
        source = tmp_path / "src" / folder
        shutil.copytree(
            REPO / folder,
            source,
            ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"),
        )
        _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--no-index", "--quiet", "-w", wheels, source)  # fmt: skip
    built = sorted(p.name.split("-")[0] for p in wheels.glob("*.whl"))
    assert built == sorted(_name(f).replace("-", "_") for f in PROJECTS)

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)  # no older pip / setuptools
    python = venv / "bin" / "python"
    # The third-party dependencies come from this environment (a plain path: its editable
    # installs of our own packages are not picked up), so nothing is fetched.
    purelib = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip()
    )
    (purelib / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    # Our four from the wheels whatever that environment holds (its editable installs of
    # them would otherwise count as satisfied), their dependencies from it.
    pip = (sys.executable, "-m", "pip", "--python", python, "install", "--no-index", "--quiet")
    _run(*pip, "--no-deps", "--force-reinstall", *sorted(wheels.glob("*.whl")))
    # The engine wheel satisfies what each adapter asks of it.
    engine = Version(__version__)
    for folder in PROJECTS:
        if folder.startswith("integrations/"):
            project = tomllib.loads((REPO / folder / "pyproject.toml").read_text())["project"]
            for dependency in map(Requirement, project["dependencies"]):
                if dependency.name == DISTRIBUTION:
                    assert engine in dependency.specifier, (folder, str(dependency))

    modules = ", ".join(PROJECTS.values())
    shown = _run(
        python,
        "-c",
        f"import importlib.metadata as m, {modules}; "
        f"print(m.version({DISTRIBUTION!r})); "
        f"print(*[x.__file__ for x in ({modules})], sep='\\n')",
        cwd=tmp_path,
    ).split()
    assert shown[0] == __version__
    assert all(path.startswith(str(purelib)) for path in shown[1:]), shown  # the wheels' copies
    assert "compress" in _run(venv / "bin" / "headroom", "--help")  # the console script
