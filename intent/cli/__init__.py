"""The command line: `main` (the click group, exit codes, the audit line every run writes,
and validate/schema/plan), `options` (what the commands share), and one module per further
command, each defining `command`.

The top layer: may import every other part of `intent`. Nothing imports it but
`intent.__main__` and the console script.
"""
