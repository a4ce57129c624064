"""What `fetch` shows a person at a terminal: a progress display and the summary table.

rich comes with Pelican. On a terminal the display shows feeds and pages as they finish; in CI
or when output is piped, it stays quiet and only the table is printed.
"""

from __future__ import annotations

import os
import sys
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .pipeline import RunReport


def interactive() -> bool:
    """True on a terminal that is not CI: the only place a live display helps."""
    return sys.stderr.isatty() and not os.environ.get("CI")


class RichProgress:
    """A ProgressHook drawn with rich: one bar for feeds, one for pages."""

    def __init__(self) -> None:
        self.display = Progress(
            TextColumn("{task.description:<6}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[last]}", style="dim"),
            console=Console(stderr=True),
            transient=True,
        )
        self.feed_task = self.display.add_task("feeds", total=None, last="")
        self.page_task = self.display.add_task("pages", total=None, last="", visible=False)

    def __enter__(self) -> RichProgress:
        self.display.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.display.stop()

    def feeds(self, total: int) -> None:
        """How many feeds will be checked."""
        self.display.update(self.feed_task, total=total)

    def feed_done(self, name: str) -> None:
        """A feed was read (or failed)."""
        self.display.update(self.feed_task, advance=1, last=name[:40])

    def pages(self, total: int) -> None:
        """How many pages will be fetched."""
        self.display.update(self.page_task, total=total, visible=True)

    def page_done(self, url: str) -> None:
        """A page was fetched and written (or failed)."""
        self.display.update(self.page_task, advance=1, last=url[-60:])


def summary_table(report: RunReport) -> Table:
    """Per source: new, updated, unchanged, duplicates, failed, and why anything failed."""
    table = Table(title="Digest fetch", title_justify="left")
    table.add_column("source")
    for name in ("new", "updated", "unchanged", "dupes", "failed"):
        table.add_column(name, justify="right")
    table.add_column("notes", overflow="fold")
    for s in report.sources:
        notes = "; ".join([s.skipped] if s.skipped else s.errors)
        counts = [s.new, s.updated, s.unchanged, s.duplicates, s.failed]
        style = "red" if s.source_failed or s.gone else ("yellow" if s.failed else None)
        table.add_row(s.name, *(str(c) for c in counts), notes, style=style)
    return table


def print_summary(report: RunReport) -> None:
    """Print the summary table to stdout (plain text when piped)."""
    Console(soft_wrap=False, width=None if sys.stdout.isatty() else 120).print(
        summary_table(report)
    )
