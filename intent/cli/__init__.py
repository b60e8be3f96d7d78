"""The command line: `main` (the click group, the options and helpers the commands share,
validate/schema/plan, one-line errors, exit codes and the audit line every run writes), and
one module per further command, each defining `command` and loaded by name from `main`.

The top layer: may import every other part of `intent`. Nothing imports it but
`intent.__main__` and the console script.
"""
