import subprocess
import sys
import types

import headroom


def test_all_is_complete_and_sorted() -> None:
    imported_helpers = {"annotations", "threading", "Sequence", "Any"}
    public = {
        name
        for name, value in vars(headroom).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name not in imported_helpers
    }
    assert set(headroom.__all__) == public | {"__version__"}
    assert list(headroom.__all__) == sorted(headroom.__all__)


def test_import_pulls_no_heavy_optional_dependency() -> None:
    heavy = ("torch", "litellm", "transformers")
    code = f"import sys, headroom; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
