"""The engine version: defined here only (pyproject reads it; decisions are keyed by it)."""

__version__ = "0.2.0"
