"""Comparing desired and observed state: a check run (`run`), the diff engine (`diff`,
`diff_access`, `diff_workload`, `emit`), findings and their rules (`findings`), the report
(`report`, `report_shape`) and its formats (`formats`), merging and sharding runs (`merge`,
`shard`), and the check of users' Terraform templates (`terraform`).

May import: the `intent` root and `intent.observe`. Never `generate`, `evidence` or `cli`.
"""
