"""Run folders that never overwrite: a new folder per run, moved into place when done.

``with RunFolder(parent, name) as run:`` writes into ``run.tmp`` (a hidden
``parent/.<name>-<stamp>.partial``); on success it is renamed to ``run.final`` =
``parent/<name>-<stamp>`` (an atomic rename on one file system), so an unfinished run
never leaves a folder that looks complete. The final name is chosen when the run starts
(``run.target``, so what the run writes can name the folder it will be): the first of
``<name>-<stamp>``, ``-2``, ``-3``… that neither exists nor is reserved by another run's
``.<that name>.partial`` (made with an atomic ``mkdir``: two runs in the same second never
get the same name). Should something other than a run take that name before the end, the
run moves to a free one (``succeed``'s ``on_moved``): nothing existing is ever replaced.

On failure (``RunFolder.fail``) the folder keeps the evidence: ``error.txt`` (the message,
then the traceback) and ``manifest.json`` (what was known so far, ``"status": "failed"``),
and it is renamed ``<name>-<stamp>-FAILED``. An interrupted run (``KeyboardInterrupt``)
gets the same two files with ``"status": "interrupted"`` but stays hidden as
``.<name>-<stamp>.partial``: nothing visible claims to be a run. No ``*.tmp`` file (a
half-written ``segment.export.atomic_write``) is left, and a folder that ends up empty
(a full disk that could not take even ``error.txt``) is removed rather than kept empty.

A failure to create or write the folder (no permission, full disk, read-only file system)
is the user's: it is raised as ``segment.errors.ReportsFolderError`` naming the folder.

``name`` must be a plain name (``plain_name_problem``): the run folder is always a child
of ``parent``, never elsewhere through ``..``, ``/`` or an absolute path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import re
import traceback
from pathlib import Path
from typing import Any, Callable

from segment.errors import Problem, ReportsFolderError

#: letters (any script), digits, ``_``, ``-`` and ``.``, not starting with a dot
PLAIN_NAME = re.compile(r"(?!\.)[\w.-]+")
#: errors of writing that are the reports folder's (not a fault of ours)
WRITE_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EROFS, errno.EDQUOT})
#: of those, the ones that concern the whole file system, so also a write with no file name
#: (``OSError(ENOSPC)`` from ``write()`` on an open file) is taken to be the run folder's
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT})


def plain_name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a run folder, or None if it can (the config check uses this too)."""
    if not isinstance(name, str) or not name:
        return "must be a non-empty name"
    if not PLAIN_NAME.fullmatch(name):
        return (f"{name!r} is not a plain name: use letters, digits, '.', '_' and '-' only, not starting with "
                "a dot (the run folder is always created inside the reports folder)")
    return None


def check_plain_name(name: object) -> str:
    """``name`` if it can name a run folder, else ValueError (``plain_name_problem``)."""
    problem = plain_name_problem(name)
    if problem is not None:
        raise ValueError(f"output_name: {problem}")
    return name  # type: ignore[return-value]


def free_name(parent: Path, base: str) -> Path:
    """``parent/base``, or ``parent/base-2``, ``-3``… — the first that does not exist."""
    candidate = parent / base
    n = 1
    while candidate.exists():
        n += 1
        candidate = parent / f"{base}-{n}"
    return candidate


def _taken(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _names(parent: Path, base: str):
    """(final, hidden working folder) for ``base``, ``base-2``, ``-3``… whose final name is free."""
    n = 1
    while True:
        name = base if n == 1 else f"{base}-{n}"
        if not _taken(parent / name):
            yield parent / name, parent / f".{name}.partial"
        n += 1


def reserve(parent: Path, base: str) -> tuple[Path, Path]:
    """(working folder, final name): the first free name of ``_names`` whose hidden
    ``.<name>.partial`` this call creates (``mkdir`` is atomic, so two runs never reserve
    the same name)."""
    for final, partial in _names(parent, base):
        try:
            partial.mkdir()
            return partial, final
        except FileExistsError:  # another run's (or a stopped run's) working folder
            pass
    raise AssertionError("unreachable")  # _names never ends


def _text(name: Any) -> str:
    return os.fsdecode(name) if isinstance(name, (str, bytes, os.PathLike)) else str(name)


def _inside(path: Any, folder: Path) -> bool:
    try:
        return Path(_text(path)).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def write_failure(exc: BaseException, folder: Path) -> tuple[str, str] | None:
    """(reason, file) if ``exc`` (or an error it was raised from) is a failure to write into
    ``folder`` for want of permission or space, else None. DuckDB raises its own IOException,
    whose message names the file and gives the system's reason."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS:
            named = [f for f in (exc.filename, exc.filename2) if f is not None]
            if any(_inside(f, folder) for f in named) or (not named and exc.errno in DISK_ERRNOS):
                return exc.strerror or os.strerror(exc.errno), _text(named[0]) if named else ""
        elif not isinstance(exc, OSError) and str(folder) in str(exc):
            for code in WRITE_ERRNOS:
                if os.strerror(code) in str(exc):
                    return os.strerror(code), ""
        exc = exc.__cause__ or exc.__context__
    return None


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line (the problems of a UserError joined by ``; ``)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {'; '.join(lines)}" if lines else type(exc).__name__


class RunFolder:
    def __init__(self, parent: str | Path, name: str, *, stamp: str | None = None) -> None:
        check_plain_name(name)
        self.parent = Path(parent)
        self.base = f"{name}-{stamp or dt.datetime.now().strftime('%Y%m%dT%H%M%S')}"
        if (self.parent / self.base).resolve().parent != self.parent.resolve():  # belt and braces
            raise ValueError(f"output_name: {name!r} would put the run folder outside {self.parent}")
        self.tmp: Path | None = None
        #: the name the folder gets on success, reserved on entering (module docstring)
        self.target: Path | None = None
        self.final: Path | None = None
        self.failed: Path | None = None
        #: succeed() or fail() has run
        self.closed = False

    def __enter__(self) -> "RunFolder":
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
            self.tmp, self.target = reserve(self.parent, self.base)
        except OSError as exc:  # nothing was created: nothing to keep
            self.tmp = self.target = None
            raise ReportsFolderError([Problem(str(self.parent), "", f"cannot create the run folder {self.base}: "
                                              f"{exc.strerror or exc} (check that the reports folder is writable "
                                              "and has free space)")]) from exc
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is None:
            self.succeed()
            return None
        error = self.fail(exc)
        if error is not exc:
            raise error from exc
        return None

    def succeed(self, on_moved: Callable[[Path, Path], None] | None = None) -> Path:
        """Rename the finished folder into place (``self.final``): to ``self.target``, unless
        something other than a run took that name meanwhile; then to a free name, after
        ``on_moved(target, new)`` has corrected what in ``self.tmp`` names the target."""
        assert self.tmp is not None and self.target is not None and not self.closed
        final = self.target
        try:
            if _taken(final):
                final = self._unreserved_name()
                if on_moved is not None:
                    on_moved(self.target, final)
                self.target = final
            os.rename(self.tmp, final)
        except OSError as exc:
            raise self.fail(exc) from exc
        self.final, self.closed = final, True
        return final

    def _unreserved_name(self) -> Path:
        """The first of ``base``, ``base-2``… neither taken nor reserved by another run."""
        return next(final for final, partial in _names(self.parent, self.base)
                    if partial == self.tmp or not _taken(partial))

    def fail(self, exc: BaseException, record: dict[str, Any] | None = None,
             on_kept: Callable[[Path], None] | None = None) -> BaseException:
        """Keep the evidence of a run that stopped with ``exc`` (module docstring) and return the
        error to raise: ``exc`` itself, or a ``ReportsFolderError`` naming the folder if ``exc``
        was a failure to write it. ``record`` is the manifest known so far; ``on_kept(folder)``
        corrects what in the kept folder names another one (the notebooks' run_dir), once it has
        its last name. Never raises over ``exc``: on a full disk what cannot be written is left
        out. The returned error's ``run_folder`` is where the evidence is (None when nothing
        could be kept)."""
        assert self.tmp is not None
        if self.closed:  # finished or failed already: nothing more to keep
            return exc
        self.closed = True
        interrupted = isinstance(exc, KeyboardInterrupt)
        where = self.tmp if interrupted else free_name(self.parent, f"{self.base}-FAILED")
        failure = write_failure(exc, self.tmp)

        def error_at(folder: Path) -> BaseException:
            if failure is None:
                return exc
            reason, file = failure
            detail = f" (writing {Path(file).name})" if file else ""
            return ReportsFolderError([Problem(str(folder), "", f"cannot write the run folder: {reason}{detail}; "
                                               "check that the reports folder is writable and has free space")])

        error = error_at(where)
        if interrupted:
            message = ("interrupted (KeyboardInterrupt): the run did not finish; this hidden .partial folder "
                       "holds what was written until then")
        else:  # paths into the folder as they will be once it is renamed
            message = (str(error) or type(error).__name__).replace(str(self.tmp), str(where))
        text = f"{message}\n\n{''.join(traceback.format_exception(exc))}"
        status = {"status": "interrupted" if interrupted else "failed",
                  "error": one_line(error).replace(str(self.tmp), str(where)),
                  "stopped": dt.datetime.now().isoformat(timespec="seconds")}
        _best_effort_write(self.tmp / "error.txt", text)
        _best_effort_write(self.tmp / "manifest.json",
                           json.dumps({**(record or {}), **status}, indent=2, default=str) + "\n")
        _remove_temp_files(self.tmp)
        kept: Path | None = self.tmp
        try:
            empty = not any(self.tmp.iterdir())
        except OSError:
            empty = False
        if empty:  # not even error.txt fitted: no empty folder is left
            kept = None if _best_effort(self.tmp.rmdir) else self.tmp
        elif not interrupted and _best_effort(lambda: os.rename(self.tmp, where)):
            kept = self.failed = where
        if kept != where:  # the folder is not where the message said it would be
            error = error_at(kept or self.parent)
        if kept is not None and on_kept is not None:
            try:
                on_kept(kept)
            except Exception:  # noqa: BLE001 -- the evidence is kept; a record left as it was is no reason to hide exc
                pass
        with contextlib.suppress(AttributeError, TypeError):
            error.run_folder = kept  # type: ignore[attr-defined]
        return error


def _best_effort(action) -> bool:
    try:
        action()
        return True
    except OSError:
        return False


def _best_effort_write(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (a full disk must not leave half a manifest)."""
    tmp = path.with_name(f".{path.name}.tmp")
    if not (_best_effort(lambda: tmp.write_text(text, encoding="utf-8")) and _best_effort(lambda: os.replace(tmp, path))):
        _best_effort(lambda: tmp.unlink(missing_ok=True))


def _remove_temp_files(folder: Path) -> None:
    """Half-written files of ``segment.export.atomic_write`` (``.<name>.tmp``) and its CSV body."""
    for pattern in ("*.tmp", "*.tmp.body"):
        for path in folder.rglob(pattern):
            if path.is_file() or path.is_symlink():
                _best_effort(lambda: path.unlink(missing_ok=True))
