"""Provider plugins: each renders a cluster plan for its provider and reads live state back.

One package per target (`eks`, `gke`, `aks`, `namespaces`) with the interface of `base.py`,
and what they share (`common.py`, `kubernetes_state.py`). May import: the `intent` root,
`intent.generate` and `intent.observe`. `intent` never imports them: `intent.plugins` loads
them by name from the `fleet_intent.translators` entry points.
"""
