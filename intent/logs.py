"""Where the libraries' log records go: nowhere, unless FLEET_INTENT_DEBUG asks for them.

The SDKs log to the standard `logging` module, some to the root logger with `logging.error`,
which prints to stderr when nothing is configured (the kubernetes client logged an exec
plugin's stderr that way, secrets included). fleet-intent reports every failure itself, on
one line; library records are only for debugging, and even then pass through the audit log's
redaction. Nothing happens at import: the CLI and each collector worker process call
`configure_logging` when they start.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

DEBUG_ENV = "FLEET_INTENT_DEBUG"


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        from intent.redaction import redact

        return redact(super().format(record))


def debug_wanted(environ: Mapping[str, str] | None = None) -> bool:
    """Whether FLEET_INTENT_DEBUG is set to something other than empty, 0, false or no."""
    value = (os.environ if environ is None else environ).get(DEBUG_ENV, "").strip().lower()
    return value not in ("", "0", "false", "no")


def configure_logging(environ: Mapping[str, str] | None = None) -> None:
    """Send library log records to a handler that drops them, or with FLEET_INTENT_DEBUG to
    stderr (level DEBUG, redacted). A root handler also stops `logging.error` and the
    last-resort handler from printing on their own."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_fleet_intent", False)]:
        root.removeHandler(handler)
    if debug_wanted(environ):
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
        root.setLevel(logging.DEBUG)
    else:
        handler = logging.NullHandler()
    handler._fleet_intent = True  # type: ignore[attr-defined]
    root.addHandler(handler)
