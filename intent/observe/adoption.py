"""Which of a cluster's generated resources already exist, and how Terraform takes them over.

`fleet-intent adopt` (SPEC §12) asks each cluster's translator for a `ClusterAdoption`: for
every resource of the cluster's generated root, either an `ImportTarget` (the object exists:
its Terraform address, the provider's documented import id, and what the first apply will
change on it) or the address of a resource apply will create. Translators build it from the
plan and the same documents `check` reads, so adoption and the check never disagree about
what a cluster holds. Provider-managed objects (node access entries, EKS node mappings) are
never generated and so never imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ImportTarget:
    """One generated resource that already exists.

    `address` is the resource's address in the cluster root (`aws_eks_access_entry.role_…`,
    `module.namespaces.kubernetes_namespace_v1.this["payments"]`), `id` the import id its
    provider documents, `object` the existing object in the findings' vocabulary
    (`AccessEntry/<arn>`, `Namespace/<name>` ...), `changes` what the first apply will
    change on it (empty: the object already is what the intent says), `replaced` whether that
    change makes Terraform destroy and re-create it (an immutable field differs).
    """

    address: str
    id: str
    object: str
    changes: tuple[str, ...] = ()
    replaced: bool = False


@dataclass(frozen=True, slots=True)
class ClusterAdoption:
    """A cluster's generated resources split into those to import and those to create.

    `notes` say what adoption cannot do through an import block and how apply handles it
    instead (the aws-auth data, which `kubernetes_config_map_v1_data` takes over on create).
    """

    cluster: str
    provider: str
    imports: tuple[ImportTarget, ...] = ()
    creates: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def differing(self) -> tuple[ImportTarget, ...]:
        """The imported objects the first apply will change."""
        return tuple(target for target in self.imports if target.changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dump (the `--format json` summary of one cluster)."""
        return {
            "cluster": self.cluster,
            "provider": self.provider,
            "import": [
                {"address": t.address, "id": t.id, "object": t.object, "changes": list(t.changes), "replaced": t.replaced}
                for t in self.imports
            ],
            "create": list(self.creates),
            "notes": list(self.notes),
        }


@dataclass
class AdoptionBuilder:
    """Collects a cluster's import targets and creations, in the order they are found."""

    cluster: str
    provider: str
    imports: list[ImportTarget] = field(default_factory=list)
    creates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def exists(self, address: str, import_id: str, obj: str, changes=(), replaced: bool = False) -> None:
        """The resource at `address` exists as `obj`: import it with `import_id`."""
        self.imports.append(ImportTarget(address, import_id, obj, tuple(changes), replaced))

    def missing(self, address: str) -> None:
        """The resource at `address` does not exist yet: apply creates it."""
        self.creates.append(address)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def build(self) -> ClusterAdoption:
        return ClusterAdoption(
            self.cluster,
            self.provider,
            tuple(sorted(self.imports, key=lambda t: t.address)),
            tuple(sorted(self.creates)),
            tuple(self.notes),
        )


def changed(what: str, have: Any, want: Any) -> str | None:
    """`what: have -> want` when the two differ, else None (for an ImportTarget's changes)."""
    if have == want:
        return None
    return f"{what}: {_show(have)} -> {_show(want)}"


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={v}" for k, v in sorted(value.items())) + "}"
    return str(value)
