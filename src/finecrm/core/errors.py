"""One exception tree for finecrm.

Every error a user can cause derives from :class:`FinecrmError` and carries a message that
says what went wrong and what to do. The CLI prints these without a traceback.
"""

from __future__ import annotations


class FinecrmError(Exception):
    """Base of every error finecrm raises on purpose."""

    exit_code = 2


class ConfigError(FinecrmError):
    """A configuration file or value is wrong. Names the file, the key and what was expected."""

    def __init__(self, file: str, key: str, expected: str, got: object = None) -> None:
        self.file = file
        self.key = key
        self.expected = expected
        self.got = got
        got_txt = "" if got is None else f" (got {got!r})"
        super().__init__(f"{file}: key '{key}': expected {expected}{got_txt}")


class WorkspaceError(FinecrmError):
    """The workspace (FINECRM_HOME) is missing or not initialised."""


class ContractError(FinecrmError):
    """A table does not follow the data contract in a way that makes it unusable."""


class IngestError(FinecrmError):
    """An input table cannot be used at all (not: some rows are bad; those go to quarantine)."""


class MappingError(FinecrmError):
    """A mapping folder or one of its SQL files is wrong."""
