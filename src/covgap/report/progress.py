"""Live progress of ``covgap run`` on a terminal: tests done of collected, failures so far."""

from __future__ import annotations

import os
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from covgap.collect.suite.run import Progress

if TYPE_CHECKING:
    from rich.status import Status

__all__ = ["LiveProgress", "wants_live_progress"]


def wants_live_progress(stream: TextIO) -> bool:
    """Live only on a terminal, and never in CI (where logs want lines, not redraws)."""
    return stream.isatty() and not os.environ.get("CI")


class LiveProgress:
    """A one-line status that redraws as events arrive; a context manager."""

    def __init__(self, stream: TextIO) -> None:
        # rich is loaded only when there is a terminal to draw on (not in CI, not when piped).
        from rich.console import Console
        from rich.status import Status

        self._status: Status = Status("starting the suite…", console=Console(file=stream))

    def __enter__(self) -> LiveProgress:
        self._status.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._status.stop()

    def __call__(self, progress: Progress) -> None:
        total = f"/{progress.collected}" if progress.collected is not None else ""
        failed = f", [red]{progress.failed} failed[/red]" if progress.failed else ""
        running = f"  {progress.running}" if progress.running else ""
        self._status.update(f"tests {progress.done}{total}{failed}{running}")
