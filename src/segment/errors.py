"""The errors a user's input can cause, in one leaf module (no imports from the package).

Inside the package, code raises these with the place of the problem (file, key or row,
column, value); the command line alone turns them into one line each and exit status 2
(``segment.cli``; ``--debug`` adds the traceback). Anything else that escapes is a fault
of ours: exit status 1 with the traceback in the run folder's ``error.txt``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

#: exit status of a problem with the user's input (config, input spec, data, reports folder)
EXIT_USER = 2
#: exit status of a fault of ours (a bug), or a report notebook that failed
EXIT_FAULT = 1


@dataclass(frozen=True)
class Problem:
    """One problem, printed as ``<where>: <key>: <message>`` (``key`` may be empty)."""

    where: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.key}: {self.message}" if self.key else f"{self.where}: {self.message}"


class UserError(Exception):
    """A problem with what the user gave us. ``problems`` holds every problem found (a config
    is checked whole, so all of them are reported at once); ``str()`` is one line each."""

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        self.problems = [Problem("", "", problems)] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(str(p).lstrip(": ") for p in self.problems))


class ConfigError(UserError, ValueError):
    """The run configuration is invalid; each problem names the file and the key."""


class ReportsFolderError(UserError, OSError):
    """The reports folder cannot be written (missing permission, full disk)."""


class CannotGrade(ValueError):
    """A grading method cannot grade this data (e.g. BG/NBD with no repeat buyer). The run goes
    on without that method, which is reported as "not graded: <reason>"; only when no method
    can grade is the run an error (``NothingGraded``)."""


class NothingGraded(UserError):
    """No configured method could grade the data."""


class GovernanceError(UserError, ValueError):
    """A grade-ledger problem the user can fix: a named previous run that does not qualify, a
    published file changed after its run, tier labels that do not match, a method that cannot
    be published (``segment.governance``)."""
