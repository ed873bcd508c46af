"""The engine version and distribution name: defined here only (pyproject reads the
version; decisions are keyed by it)."""

__version__ = "0.2.0"

DISTRIBUTION = "headroom-compress"
"""The engine's name on PyPI ("headroom" there is another project); it imports as `headroom`."""


def install_hint(extra: str) -> str:
    """The command that adds `extra`, for the published package and for a clone."""
    return (
        f'pip install "{DISTRIBUTION}[{extra}]" '
        f'(from a clone of the repository: pip install "./packages/headroom[{extra}]")'
    )
