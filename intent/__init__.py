"""fleet-intent: one security intent for a fleet of EKS, GKE and AKS clusters.

The modules at this package's root are the intent itself and the lowest layer: the format
(`model`), its strict reading (`yamlsafe`, `load`, `validate`), the desired state per cluster
(`plan`), the provider facts every stage needs (`provider_roles`), and the plumbing every
stage shares (`errors`, `plugins`, `safeio`, `quoting`, `progress`, `logs`). They import
nothing of the project outside this root. Above them, one subpackage per stage:
`generate` and `observe` (layer 1), `check` (2), `evidence` (3), `cli` (4); each imports only
from layers below it (docs/architecture.md; tests/test_layout.py enforces it).
"""

__version__ = "0.1.0"
