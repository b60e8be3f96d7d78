"""Bounded reading of the files fleet-intent takes as input (snapshot documents, JSON reports,
the intent file).

Every input file is read through `read_regular_file`, and every JSON input is parsed by
`parse_json_bounded` (`load_json_bounded` does both), so that no file can make a run hang, read without limit or end in a
traceback:

- The path is opened with O_NONBLOCK (opening a FIFO never waits for a writer) and the type
  is taken from fstat() of the open descriptor, not from the path, so what is read is what
  was checked. Anything but a regular file (FIFO, device, directory, socket) is refused; a
  path that is not a regular file is refused before it is opened, because opening some
  devices has side effects.
- Symbolic links are followed: a snapshot assembled from links to shared dumps, or an intent
  linked from a shared checkout, is legitimate. What the link finally opens must still be a
  regular file (a link to /dev/zero is a character device); a link whose target is missing
  is named as such.
- At most `limit` + 1 bytes are ever read, whatever size the file reports (a device reports
  0), so a file that is, or grows, larger than the limit is refused without holding more.
- JSON must be UTF-8, nested at most MAX_DEPTH deep, with integers of at most MAX_INT_DIGITS
  digits, no NaN/Infinity and no lone UTF-16 surrogate (`\\ud800`, which cannot be written
  back out as UTF-8); anything else is one error naming the file (and the line when the
  parser knows it).
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat

from intent.errors import FleetIntentError

MiB = 1024 * 1024
MAX_DEPTH = 100  # snapshot documents nest about 20 deep (managedFields), reports 3
MAX_INT_DIGITS = 100  # no document needs more; Python refuses over 4300 and is slow before
_CHUNK = MiB
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class InputFileError(FleetIntentError):
    """An input file that cannot be read or parsed safely; the message is `<where>: <cause>`.

    `too_large` is set when the only problem is the size limit (the intent loader reports
    that one as a problem of the intent).
    """

    def __init__(self, where: str, cause: str, *, too_large: bool = False):
        where = printable(where)
        super().__init__(f"{where}: {cause}")
        self.where = where  # the file's name, with `:line[:col]` when known
        self.cause = cause
        self.too_large = too_large


def printable(text: str) -> str:
    """`text` with control characters escaped, so that a file named with a newline still
    makes a one-line message."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def describe_size(limit: int) -> str:
    """`64 MiB` for whole MiB, else `N bytes`."""
    return f"{limit // MiB} MiB" if limit % MiB == 0 else f"{limit} bytes"


def file_kind(mode: int) -> str:
    """What a non-regular file is, for messages ("a FIFO", "a character device", ...)."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def read_regular_file(path: str, limit: int, name: str | None = None) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed), at most `limit` of them.

    Raises InputFileError naming `name` (default: `path`) when the path is missing, is not a
    regular file, cannot be opened, or holds more than `limit` bytes.
    """
    name = name or path
    try:
        _refuse_unless_regular(os.stat(path).st_mode, name)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputFileError(name, _missing_cause(path)) from None
    except OSError as exc:
        raise InputFileError(name, _os_cause(exc)) from None
    try:
        info = os.fstat(fd)
        # The path may have been replaced between stat() and open(): the descriptor decides.
        _refuse_unless_regular(info.st_mode, name)
        if info.st_size > limit:
            raise InputFileError(name, f"is {info.st_size} bytes, larger than the {describe_size(limit)} limit", too_large=True)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise InputFileError(name, f"is larger than the {describe_size(limit)} limit", too_large=True)
        return b"".join(chunks)
    except OSError as exc:
        raise InputFileError(name, _os_cause(exc)) from None
    finally:
        os.close(fd)


def _refuse_unless_regular(mode: int, name: str) -> None:
    if not stat.S_ISREG(mode):
        raise InputFileError(name, f"is {file_kind(mode)}, not a regular file")


def _missing_cause(path: str) -> str:
    try:
        target = os.readlink(path)
    except OSError:  # not a link (or gone meanwhile)
        return "no such file"
    return f"is a symbolic link to a missing file ({printable(target)[:200]})"


def _os_cause(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "too many levels of symbolic links"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return f"cannot be read ({exc.strerror or exc})"


def parse_json_bounded(raw: bytes, name: str) -> object:
    """The JSON value of `raw` (UTF-8); InputFileError naming `name` when it is not valid,
    nests deeper than MAX_DEPTH, or holds a number or string no document needs."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputFileError(f"{name}:{line}", f"not UTF-8 text (byte {exc.start})") from None
    try:
        value = json.loads(text, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{name}:{exc.lineno}:{exc.colno}", f"not valid JSON: {exc.msg}") from None
    except _Refused as exc:
        raise InputFileError(name, str(exc)) from None
    except RecursionError:
        raise InputFileError(name, f"nested deeper than {MAX_DEPTH} levels of arrays/objects") from None
    _check_value(value, name, check_strings=_SURROGATE_ESCAPE.search(text) is not None)
    return value


def load_json_bounded(path: str, limit: int, name: str | None = None) -> object:
    """`read_regular_file` then `parse_json_bounded`: the JSON value of the file at `path`."""
    name = name or path
    return parse_json_bounded(read_regular_file(path, limit, name), name)


class _Refused(ValueError):
    """A value the JSON parser hooks refuse (the message is the cause)."""


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"holds an integer of {len(digits.lstrip('-'))} digits (at most {MAX_INT_DIGITS})")
    return int(digits)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"holds the number {text[:40]}, too large for a float")
    return value


def _no_constant(name: str) -> float:
    raise _Refused(f"holds {name}, which is not JSON")


def _check_value(value: object, name: str, check_strings: bool) -> None:
    """Refuse nesting deeper than MAX_DEPTH and, when the text has \\uD8xx escapes at all,
    strings with a lone surrogate.

    Level by level, without recursion (hostile input) and without an object per node (a
    tuple per node made the walk of 3 million `{}` take seconds of garbage collection).
    """
    level = [value] if type(value) is dict or type(value) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            raise InputFileError(name, f"nested deeper than {MAX_DEPTH} levels of arrays/objects")
        below: list = []
        append = below.append
        for node in level:
            children = node.values() if type(node) is dict else node
            if check_strings:
                _check_strings(node, name)  # a dict's keys, or a list's items
                _check_strings(children, name)
            for child in children:
                if type(child) is dict or type(child) is list:
                    append(child)
        level = below
    if check_strings and type(value) is str:
        _check_strings((value,), name)


def _check_strings(values, name: str) -> None:
    for item in values:
        if type(item) is str:
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InputFileError(name, "holds a lone UTF-16 surrogate escape (\\ud800-\\udfff), which is not text") from None
