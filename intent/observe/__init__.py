"""What clusters hold: documents of the snapshot layout read from a directory (`snapshot`)
or the live APIs (`collect`, `fanout`, `kubelive`, `kubeexec`), and the neutral observed
state translators build from them (`observed`).

May import: the `intent` root. Never `generate`, `check`, `evidence` or `cli`.
"""
