"""Fleet rollout in waves (SPEC §15): the wave spec (`waves`), the append-only journal
(`journal`), the Terraform runs per cluster root (`terraform`) and the orchestration that
applies a wave, verifies it with the check engine and halts before the next (`run`).

May import: the `intent` root, `intent.generate` (the output's MANIFEST.json),
`intent.observe` (snapshot and live sources) and `intent.check` (the check of one cluster,
severities). Never `cli`, `evidence` or `adopt`.
"""
