"""The tool's error types. Library code raises these; only the CLI prints them and exits."""

from __future__ import annotations

from dataclasses import dataclass


class FleetIntentError(Exception):
    """Base of every error the tool reports as a one-line cause (exit 2 unless stated)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in an input file, with its position and its path in the document."""

    file: str
    line: int
    col: int
    path: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}"
        prefix = "warning: " if self.warning else ""
        return f"{where}: {self.path or '<document>'}: {prefix}{self.message}"


class IntentError(FleetIntentError):
    """An intent that cannot be used; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.col, p.path, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(FleetIntentError):
    """A command-line or environment mistake the user can fix (bad flag, missing file)."""


class OutputError(FleetIntentError):
    """The output directory cannot be written safely."""
