"""Console output with rich: colour on a terminal, plain text when piped or written to a file."""

from __future__ import annotations

import io
import sys

from rich.console import Console as _RichConsole
from rich.console import RenderableType
from rich.text import Text


class Console(_RichConsole):
    """rich's Console, except that a closed pipe (``trialspec check | head``) is raised as
    the BrokenPipeError it is, for the command line to end on one exit status (cli.main)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def print_renderable(renderable: RenderableType, output: str | None = None) -> None:
    """Print to the terminal, or write plain text to ``output`` atomically."""
    if output:
        from pathlib import Path

        from trialspec.report.output import write_atomic

        buf = io.StringIO()
        Console(file=buf, no_color=True, width=120, soft_wrap=False).print(renderable)
        write_atomic(Path(output), buf.getvalue())
        return
    Console(file=sys.stdout, highlight=False).print(renderable)


def print_text(text: Text, output: str | None = None) -> None:
    if output:
        from pathlib import Path

        from trialspec.report.output import write_atomic

        buf = io.StringIO()
        Console(file=buf, no_color=True, width=120, soft_wrap=True).print(text, end="")
        write_atomic(Path(output), buf.getvalue())
        return
    Console(file=sys.stdout, soft_wrap=True, highlight=False).print(text, end="")
