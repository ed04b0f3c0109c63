"""Progress reporting without a UI dependency.

Long work (generate, ingest, build) reports through a :class:`Progress`; the CLI passes one that
draws rich progress bars on stderr, tests and ``--quiet`` pass the silent default.
"""

from __future__ import annotations


class Task:
    """One unit of work with an optional total (rows, chunks, tables)."""

    def advance(self, n: int = 1) -> None:
        """Record ``n`` more units done."""

    def close(self) -> None:
        """Mark the task finished."""

    def __enter__(self) -> Task:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Progress:
    """Silent progress: the default. Subclasses draw it somewhere."""

    def task(self, label: str, total: int | None = None) -> Task:
        return Task()

    def log(self, message: str) -> None:
        """A line of progress text (goes to stderr in the CLI, nowhere by default)."""


SILENT = Progress()
