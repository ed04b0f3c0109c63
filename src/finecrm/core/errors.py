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


class StorageError(FinecrmError):
    """The disk said no: full, read-only, not permitted, or a file that cannot be read back.

    The message names the path and what to do; the command that raises it says whether anything
    was changed. Exit code 74 (EX_IOERR).
    """

    exit_code = 74


class BusyError(FinecrmError):
    """Another command holds the workspace (an ingest, or a build); try again when it has finished.

    Exit code 75 (EX_TEMPFAIL).
    """

    exit_code = 75


NOTHING_CHANGED = ("未做任何更改", "nothing was changed")


def storage_error(exc: OSError, doing: str, outcome: tuple[str, str] = NOTHING_CHANGED) -> StorageError:
    """One bilingual line for an ``OSError``: why (full, read-only, …), what failed (``doing``, e.g.
    "writing the warehouse") and where, what it left (``outcome``: Chinese, English) and what to do."""
    import errno

    path = exc.filename or ""
    where = f" (at {path})" if path else ""
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        zh, why, todo = "磁盘空间不足", "the disk is full", "free space there and run it again"
    elif code == errno.EROFS:
        zh, why, todo = "文件系统只读", "the file system is read-only", "make the workspace writable and run it again"
    elif code in (errno.EACCES, errno.EPERM):
        zh, why, todo = "没有写权限", "permission denied", "run as the workspace's owner or fix its permissions"
    else:
        zh, why, todo = "读写失败", exc.strerror or str(exc), "check the disk and run it again"
    return StorageError(f"{zh}，{outcome[0]} / {why} while {doing}{where}: {outcome[1]}; {todo}")
