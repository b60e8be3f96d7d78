"""intent/safeio.py: what may be read, how much, and the one error every refusal becomes."""

from __future__ import annotations

import os
import signal

import pytest

from intent.errors import FleetIntentError
from intent.safeio import MAX_DEPTH, InputFileError, load_json_bounded, parse_json_bounded, read_regular_file


@pytest.fixture(autouse=True)
def no_hang():
    """Fail, rather than hang the suite, if a read ever blocks again (opening a FIFO)."""
    def expire(*_):
        raise TimeoutError("read blocked")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_regular_file_and_symlink_to_one_are_read(tmp_path):
    target = tmp_path / "a.json"
    target.write_bytes(b'{"a": 1}')
    (tmp_path / "link.json").symlink_to(target)
    assert read_regular_file(str(target), 100) == b'{"a": 1}'
    assert load_json_bounded(str(tmp_path / "link.json"), 100) == {"a": 1}


def test_exactly_the_limit_is_read_one_more_byte_is_refused(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"x" * 10)
    assert read_regular_file(str(f), 10) == b"x" * 10
    with pytest.raises(InputFileError, match=r"f: is 10 bytes, larger than the 9 bytes limit") as info:
        read_regular_file(str(f), 9)
    assert info.value.too_large


@pytest.mark.parametrize(
    "make, cause",
    [
        (lambda p: os.mkfifo(p), "is a FIFO (named pipe), not a regular file"),
        (lambda p: p.mkdir(), "is a directory, not a regular file"),
        (lambda p: p.symlink_to("/dev/zero"), "is a character device, not a regular file"),
        (lambda p: p.symlink_to(p.parent / "nowhere"), "is a symbolic link to a missing file"),
        (lambda p: p.symlink_to(p), "too many levels of symbolic links"),
        (lambda p: None, "no such file"),
    ],
    ids=["fifo", "directory", "dev-zero", "dangling", "loop", "missing"],
)
def test_anything_but_a_regular_file_is_one_error_naming_it(tmp_path, make, cause):
    path = tmp_path / "doc.json"
    make(path)
    with pytest.raises(InputFileError) as info:
        read_regular_file(str(path), 1024, "shown.json")
    assert str(info.value).startswith("shown.json: ") and cause in str(info.value)
    assert isinstance(info.value, FleetIntentError) and not info.value.too_large


def test_unreadable_file_is_permission_denied(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    f = tmp_path / "f"
    f.write_text("{}")
    f.chmod(0)
    with pytest.raises(InputFileError, match="permission denied"):
        read_regular_file(str(f), 10)


@pytest.mark.parametrize(
    "raw, cause",
    [
        (b"[" * 200_000 + b"]" * 200_000, f"nested deeper than {MAX_DEPTH} levels"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels"),
        (b'{"a": ' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels"),
        (b"1" * 5000, "integer of 5000 digits"),
        (b"[-" + b"1" * 101 + b"]", "integer of 101 digits"),
        (b"[1e999]", "too large for a float"),
        (b"[NaN]", "NaN, which is not JSON"),
        (b"-Infinity", "-Infinity, which is not JSON"),
        (b'{"a":\n "\xff"}', "not UTF-8 text (byte 8)"),
        (b'["ok", "\\ud800"]', "lone UTF-16 surrogate"),
        (b'{"\\udfff": 1}', "lone UTF-16 surrogate"),
        (b'"\\ud800"', "lone UTF-16 surrogate"),
        (b"{\n  \"a\": }", "not valid JSON: Expecting value"),
        (b"", "not valid JSON"),
    ],
    ids=["deep", "depth+1", "deep-objects", "bigint", "bigint-negative", "inf", "nan", "minus-infinity", "utf8",
         "surrogate", "surrogate-key", "surrogate-top", "syntax", "empty"],
)
def test_json_refusals_are_one_error_naming_the_file(raw, cause):
    with pytest.raises(InputFileError) as info:
        parse_json_bounded(raw, "doc.json")
    message = str(info.value)
    assert message.startswith("doc.json") and cause in message and "\n" not in message


def test_json_error_carries_line_and_column():
    with pytest.raises(InputFileError, match=r"^doc\.json:2:8: not valid JSON"):
        parse_json_bounded(b'{\n  "a": }', "doc.json")
    with pytest.raises(InputFileError, match=r"^doc\.json:2: not UTF-8"):
        parse_json_bounded(b'{\n"\xc3"}', "doc.json")


def test_json_within_bounds_is_returned_unchanged():
    deepest = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert parse_json_bounded(deepest, "d") is not None
    value = {"n": -1 * 10**99, "f": 1.5, "s": "\u00e9\U0001F600 \\ud800", "l": [None, True]}
    import json

    assert parse_json_bounded(json.dumps(value).encode(), "d") == value
    assert parse_json_bounded(b'["\\ud83d\\ude00"]', "d") == ["\U0001F600"]  # an escaped pair is text


def test_control_characters_in_a_name_are_escaped(tmp_path):
    path = tmp_path / "a\nb\u2028.json"
    path.symlink_to(tmp_path / "gone\n")
    with pytest.raises(InputFileError) as info:
        read_regular_file(str(path), 10)
    assert "\n" not in str(info.value) and "a\\nb\\u2028.json: is a symbolic link to a missing file" in str(info.value)
    assert str(info.value).endswith("gone\\n)")
