"""The signed output manifest (SPEC §10): Ed25519 over the exact bytes of `MANIFEST.json`,
and `verify`, which then checks every file against the manifest's sha256 list.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from intent.errors import UsageError
from intent.generate.writer import MANIFEST, MAX_MANIFEST_BYTES, SIGNATURE, file_sha256, replace_file
from intent.safeio import InputFileError, read_regular_file

MAX_KEY_BYTES = 64 << 10  # PEM keys and base64 signatures are a few hundred bytes


def _read_key_file(path: str, what: str) -> bytes:
    # A PEM key is a few hundred bytes; a FIFO or device here must not hang or fill memory.
    try:
        return read_regular_file(path, MAX_KEY_BYTES)
    except InputFileError as exc:
        raise UsageError(f"{what} {exc}") from None


def load_private_key(path: str):
    """The Ed25519 private key in the PEM file at `path`, or a UsageError saying why not."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read_key_file(path, "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise UsageError(f"signing key {path}: is encrypted; use an unencrypted PKCS8 Ed25519 PEM key") from None
    except (ValueError, UnicodeError):
        raise UsageError(
            f"signing key {path}: not a PEM private key (make one with `openssl genpkey -algorithm ed25519 -out key.pem`)"
        ) from None
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm for odd key types
        raise UsageError(f"signing key {path}: cannot load: {type(exc).__name__}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"signing key {path}: is {_key_kind(key)} key; fleet-intent signs with Ed25519 only")
    return key


def load_public_key(path: str):
    """The Ed25519 public key in the PEM file at `path`, or a UsageError saying why not."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = _read_key_file(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnicodeError):
        hint = " (this is a private key; pass the public one)" if b"PRIVATE KEY" in data else ""
        raise UsageError(f"public key {path}: not a PEM public key{hint}") from None
    except Exception as exc:
        raise UsageError(f"public key {path}: cannot load: {type(exc).__name__}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"public key {path}: is {_key_kind(key)} key; fleet-intent signatures are Ed25519")
    return key


def _key_kind(key: Any) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, rsa, x448, x25519

    kinds = (
        ((rsa.RSAPrivateKey, rsa.RSAPublicKey), "an RSA"),
        ((ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey), "an EC"),
        ((dsa.DSAPrivateKey, dsa.DSAPublicKey), "a DSA"),
        ((ed448.Ed448PrivateKey, ed448.Ed448PublicKey), "an Ed448"),
        ((x25519.X25519PrivateKey, x25519.X25519PublicKey), "an X25519"),
        ((x448.X448PrivateKey, x448.X448PublicKey), "an X448"),
    )
    for classes, kind in kinds:
        if isinstance(key, classes):
            return kind
    return f"a {type(key).__name__}"


def sign_output(out_dir: str, private_key_path: str) -> str:
    """Sign `out_dir/MANIFEST.json` with Ed25519; write and return the path of `MANIFEST.json.sig`.

    The signature covers the manifest's exact bytes; the `.sig` file is base64 text and a newline.
    """
    key = load_private_key(private_key_path)
    manifest_path = os.path.join(out_dir, MANIFEST)
    if not os.path.lexists(manifest_path):
        raise UsageError(f"{manifest_path}: no such file; generate the output before signing it")
    try:
        manifest = read_regular_file(manifest_path, MAX_MANIFEST_BYTES)
    except InputFileError as exc:
        raise UsageError(str(exc)) from None
    text = base64.b64encode(key.sign(manifest)).decode("ascii") + "\n"
    sig_path = os.path.join(out_dir, SIGNATURE)
    try:
        replace_file(sig_path, text, durable=True)
    except OSError as exc:
        raise UsageError(f"{sig_path}: cannot write: {exc.strerror}") from None
    return sig_path


def manifest_files(manifest: Any) -> dict[str, str]:
    """The {relative path: sha256} map of a parsed MANIFEST.json; ValueError if it has none.

    Accepts `"files": {path: sha256}` (or `{path: {"sha256": ...}}`) and `"files": [{"path", "sha256"}]`.
    """
    files = manifest.get("files") if isinstance(manifest, dict) else None
    out: dict[str, str] = {}
    if isinstance(files, dict):
        for path, value in files.items():
            digest = value.get("sha256") if isinstance(value, dict) else value
            if not isinstance(digest, str):
                raise ValueError(f"entry {path!r} has no sha256")
            out[str(path)] = digest.lower()
    elif isinstance(files, list):
        for item in files:
            if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not isinstance(item.get("sha256"), str):
                raise ValueError("a 'files' entry lacks 'path' or 'sha256'")
            out[item["path"]] = item["sha256"].lower()
    else:
        raise ValueError("no 'files' map of path to sha256")
    return out


def _safe_relpath(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return bool(path) and not path.startswith(("/", "\\")) and ".." not in parts and ":" not in parts[0]


def _files_on_disk(out_dir: str) -> dict[str, str]:
    """{relative path with '/': absolute path} of every file and symlink under `out_dir`."""
    found: dict[str, str] = {}
    for root, dirs, files in os.walk(out_dir):
        dirs.sort()
        for name in list(dirs):
            full = os.path.join(root, name)
            if os.path.islink(full):  # os.walk does not descend symlinked dirs; report them as entries
                found[os.path.relpath(full, out_dir).replace(os.sep, "/")] = full
        for name in files:
            full = os.path.join(root, name)
            found[os.path.relpath(full, out_dir).replace(os.sep, "/")] = full
    found.pop(MANIFEST, None)
    found.pop(SIGNATURE, None)
    return found


def verify_output(out_dir: str, public_key_path: str) -> list[str]:
    """Problems with a signed output directory, one line each naming the file; [] means verified.

    Checks the Ed25519 signature over MANIFEST.json, then every file against its sha256, and
    reports files added (on disk, not in the manifest), removed, or changed.
    """
    if not os.path.isdir(out_dir):
        raise UsageError(f"{out_dir}: no such directory")
    key = load_public_key(public_key_path)
    manifest_path = os.path.join(out_dir, MANIFEST)
    sig_path = os.path.join(out_dir, SIGNATURE)
    manifest_bytes = _read_signed_part(manifest_path, MAX_MANIFEST_BYTES, MANIFEST, "nothing to verify against")
    if isinstance(manifest_bytes, str):
        return [manifest_bytes]

    problems: list[str] = []
    problems.extend(_check_signature(key, manifest_bytes, sig_path))
    try:
        expected = manifest_files(json.loads(manifest_bytes.decode("utf-8")))
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(f"{MANIFEST}: unreadable file list: {exc}")
        return problems
    except RecursionError:  # a hostile manifest: thousands of nested arrays
        problems.append(f"{MANIFEST}: unreadable file list: nested too deeply")
        return problems

    on_disk = _files_on_disk(out_dir)
    for rel in sorted(set(expected) | set(on_disk)):
        if rel not in expected:
            problems.append(f"{rel}: added (not in {MANIFEST})")
            continue
        if not _safe_relpath(rel):
            problems.append(f"{MANIFEST}: lists unsafe path {rel!r} (outside the output directory)")
            continue
        full = on_disk.get(rel)
        actual = None if full is None else file_sha256(full)  # never through a link or waiting on a FIFO
        if full is None:
            problems.append(f"{rel}: removed (listed in {MANIFEST}, missing on disk)")
        elif actual is None:
            problems.append(f"{rel}: changed (is a symlink or not a regular file)")
        elif actual != expected[rel]:
            problems.append(f"{rel}: changed (sha256 {actual}, {MANIFEST} says {expected[rel]})")
    return problems


def _read_signed_part(path: str, limit: int, name: str, if_missing: str) -> bytes | str:
    """The bytes of MANIFEST.json or its signature, or the problem (one line) reading it."""
    if not os.path.lexists(path):
        return f"{name}: missing; {if_missing}"
    try:
        return read_regular_file(path, limit, name)
    except InputFileError as exc:
        return str(exc)


def _check_signature(key, manifest_bytes: bytes, sig_path: str) -> list[str]:
    from cryptography.exceptions import InvalidSignature

    text = _read_signed_part(sig_path, MAX_KEY_BYTES, SIGNATURE, "the output is not signed (generate --sign-key KEY)")
    if isinstance(text, str):
        return [text]
    try:
        signature = base64.b64decode(b"".join(text.split()), validate=True)
    except ValueError:
        return [f"{SIGNATURE}: signature does not match (not base64 text)"]
    try:
        key.verify(signature, manifest_bytes)
    except InvalidSignature:
        return [f"{SIGNATURE}: signature does not match {MANIFEST} for this public key"]
    return []
