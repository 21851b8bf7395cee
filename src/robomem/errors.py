"""robomem's exceptions. Every message names what is wrong and how to fix it, in one line."""

from __future__ import annotations


class RobomemError(Exception):
    """Base class: a problem the user can fix. The CLI prints it as one line and exits with code 2."""

    def __init__(self, what: str, fix: str | None = None):
        self.what = what
        self.fix = fix
        super().__init__(f"{what}. Fix: {fix}" if fix else what)


class InputError(RobomemError):
    """Bad data handed to robomem: a Frame field, a file's contents, a ROS message, a CLI argument."""


class SourceError(RobomemError):
    """A frame source (dataset folder, bag, episode, simulator URI) cannot be opened or read."""


class ConfigError(RobomemError):
    """A configuration file or value is invalid."""


class StoreError(RobomemError):
    """A memory directory is missing, corrupt, locked or of an unsupported schema version."""


class QueryError(RobomemError):
    """A query cannot be answered as asked (empty text, unknown kind, bad limits)."""


class GeneratorError(RobomemError):
    """A text generator (LLM server or local model) failed: unreachable, timed out or answered nonsense."""


class WrongThreadError(RobomemError):
    """A Memory was used from a thread other than the one that opened it (it is not thread-safe)."""
