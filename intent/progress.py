"""The progress bar of long runs over many clusters: on an interactive terminal only, never in
CI logs or pipes (SPEC §6). rich draws it on stderr, so reports on stdout stay clean."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

# Offline work over fewer clusters ends in well under a second: a bar would only flicker.
MIN_CLUSTERS = 50


def wanted() -> bool:
    """Whether to draw a bar: stderr is a terminal and `CI` is not set."""
    return sys.stderr.isatty() and not os.environ.get("CI")


@contextlib.contextmanager
def progress_bar(enabled: bool, total: int, label: str) -> Iterator[Callable[[str], None]]:
    """Yield `advance(name)`: one step done, showing the cluster it was. Draws nothing (and
    `advance` does nothing) unless `enabled`; the bar is removed when the block ends."""
    if not enabled:
        yield lambda name: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(file=sys.stderr),
        transient=True,
    )
    with bar:
        task = bar.add_task("", total=total)
        yield lambda name: bar.update(task, advance=1, description=name)
