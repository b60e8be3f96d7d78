"""Redaction of secrets from text that leaves the process: error lines, audit records, the
excerpt of an exec credential plugin's stderr, library log records.

Values of environment variables whose names look secret, and token shapes that may appear in
a message without coming from the environment, become `[redacted]`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

# Environment variable names whose values must never reach a record, even inside an error text.
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_KEY|SESSION|AUTH", re.I)
# Token shapes that may appear in an error message without coming from the environment.
_SECRET_SHAPES = (
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),  # AWS access key ids
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b"),  # GitHub tokens
    re.compile(r"\bya29\.[A-Za-z0-9._-]{10,}"),  # Google OAuth access tokens
    re.compile(r"(?i)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
)

def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` with secret-looking environment values and token shapes replaced by `[redacted]`."""
    env = os.environ if environ is None else environ
    values = sorted(
        (v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= 6),
        key=len,
        reverse=True,
    )
    for value in values:
        text = text.replace(value, "[redacted]")
    for shape in _SECRET_SHAPES:
        text = shape.sub("[redacted]", text)
    return text
