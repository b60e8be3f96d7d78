"""Plans into files: the Jinja2 environment and HCL escaping (`render`), and the
all-or-nothing writer with its MANIFEST.json (`writer`).

May import: the `intent` root. Never `observe`, `check`, `evidence` or `cli`. The provider
translators it renders with are loaded by name through `intent.plugins`.
"""
