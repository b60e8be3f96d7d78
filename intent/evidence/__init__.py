"""Evidence for auditors: the append-only audit log (`audit`) and the Ed25519 signature over
an output directory's MANIFEST.json that `verify` checks (`signing`).

May import: the `intent` root, `intent.generate` (the manifest's names and the atomic
writer) and `intent.check` (severities). Never `cli`.
"""
