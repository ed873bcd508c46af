"""Exceptions raised by Headroom.

The hierarchy::

    HeadroomError
    ├── ConfigError        a setting or argument is wrong (misuse; fix the call)
    ├── InputError         the messages handed to compress() are not a list of messages
    └── StoreError         the CCR store could not read or write
        ├── StoreUnavailable  the database timed out or could not be reached
        ├── ActivityUnsupported  the store keeps no activity log (a third-party store)
        └── StoreConfigError  (also a ConfigError) the store URL names a database that
                              cannot be used here, or whose driver is not installed

Compressors never raise: the pipeline is the single fail-open boundary, and an unknown or
expired CCR ref is answered with a message, not an exception.
"""

from __future__ import annotations

__all__ = [
    "ActivityUnsupported",
    "ConfigError",
    "HeadroomError",
    "InputError",
    "StoreConfigError",
    "StoreError",
    "StoreUnavailable",
]


class HeadroomError(Exception):
    """Base class of every error Headroom raises."""


class ConfigError(HeadroomError):
    """A setting has a value Headroom cannot use."""


class InputError(HeadroomError):
    """The input is not something compress() can take."""


class StoreError(HeadroomError):
    """The CCR store failed to read or write."""


class StoreUnavailable(StoreError):
    """The database timed out or could not be reached: calls fail fast for a while."""


class ActivityUnsupported(StoreError):
    """The store keeps no activity log (a third-party store without those methods)."""


class StoreConfigError(StoreError, ConfigError):
    """The store URL names a database Headroom cannot use, or one whose driver is missing."""
