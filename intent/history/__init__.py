"""Findings history (SPEC §14): every `check --history DB` run recorded as a scan, each
finding tracked under a stable fingerprint from first sight to resolution, in SQLite or
PostgreSQL; summaries, trends and the staleness heartbeat read it back.

`store.py` opens a database and speaks its dialect, `schema.py` holds the versioned
migrations, `record.py` writes one scan in one transaction, `query.py` reads summaries,
trends and stale clusters, `render.py` and `chart.py` format them, `timefmt.py` the times
and durations they share.
"""
