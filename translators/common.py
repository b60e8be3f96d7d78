"""Helpers the provider translators share: resource addresses, RBAC bindings, cluster roots.

Addresses are derived from names only (never from positions or other teams), so adding,
changing or removing one grant never moves the address of another.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import yaml
from jinja2 import Environment

from intent.admission import CLUSTER_ADMIN_GUARD, admission_objects
from intent.model import aws_partition  # noqa: F401 -- the partition rule lives with the intent's validation
from intent.plan import MANAGED_BY_LABEL, MANAGED_BY_VALUE, TEAM_LABEL, ClusterPlan, Grant, WorkloadIdentityPlan
from intent.generate.render import HclRaw, RenderError, render_cached, render_template

from .base import RenderedFile

RBAC_API_GROUP = "rbac.authorization.k8s.io"
KUBERNETES_PROVIDER = {"name": "kubernetes", "source": "hashicorp/kubernetes", "version": "~> 3.0"}
AWS_ARN = re.compile(r"arn:(?P<partition>[a-z-]+):iam::(?P<account>\d{12}):(?P<kind>role|user)/(?P<name>.+)")

# Cluster-scope levels and the ClusterRole each maps to.
CLUSTER_ROLE = {"view": "view", "edit": "edit", "admin": "admin", "cluster-admin": "cluster-admin"}


def short_hash(text: str, digits: int = 8) -> str:
    """`digits` hex digits of the SHA-256 of `text` (shortens names that exceed a length limit)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:digits]


# Address encoding: every character outside [A-Za-z0-9-] becomes an escape that starts and
# ends with `_` and holds no `_` inside (`_` itself is `__`). The escapes are self-delimiting,
# so the code is prefix-free and `decode_name` inverts it: two different names never share an
# encoding, whatever characters they hold (a hash appended to a lossy slug could be forged).
_NAMED_ESCAPES = {"_": "", "@": "at", ".": "dot", "/": "slash"}
_NAMED_CHARS = {code: char for char, code in _NAMED_ESCAPES.items()}
_VERBATIM = re.compile(r"[A-Za-z0-9-]*")
_ESCAPE = re.compile(r"_([^_]*)_")


@functools.lru_cache(maxsize=1 << 16)
def encode_name(text: str) -> str:
    """`text` in Terraform identifier characters, reversibly: `ci/deployer` is
    `ci_slash_deployer`, `a@b.c` is `a_at_b_dot_c`, `x_y` is `x__y`, `+` is `_u2b_`."""
    if _VERBATIM.fullmatch(text):
        return text
    return "".join(
        ch if ch.isascii() and (ch.isalnum() or ch == "-") else f"_{_NAMED_ESCAPES.get(ch, f'u{ord(ch):x}')}_"
        for ch in text
    )


def decode_name(encoded: str) -> str:
    """The name `encode_name` encoded (ValueError if `encoded` is not such an encoding)."""
    out: list[str] = []
    pos = 0
    while pos < len(encoded):
        ch = encoded[pos]
        if ch != "_":
            if not (ch.isascii() and (ch.isalnum() or ch == "-")):
                raise ValueError(f"{encoded!r}: {ch!r} is not an address character")
            out.append(ch)
            pos += 1
            continue
        match = _ESCAPE.match(encoded, pos)
        if match is None:
            raise ValueError(f"{encoded!r}: unterminated escape at {pos}")
        code = match.group(1)
        if code in _NAMED_CHARS:
            char = _NAMED_CHARS[code]
        elif re.fullmatch(r"u(?:0|[1-9a-f][0-9a-f]{0,5})", code) and int(code[1:], 16) <= 0x10FFFF:
            char = chr(int(code[1:], 16))
        else:
            raise ValueError(f"{encoded!r}: unknown escape {match.group()!r}")
        if encode_name(char) != match.group():
            raise ValueError(f"{encoded!r}: {match.group()!r} is not how {char!r} is encoded")
        out.append(char)
        pos = match.end()
    return "".join(out)


def ident(*parts: str) -> str:
    """Join already-safe parts with `_` into a Terraform name (starting with a letter or `_`)."""
    name = "_".join(parts)
    return name if re.match(r"[A-Za-z_]", name) else f"_{name}"


@functools.lru_cache(maxsize=1 << 16)
def principal_address(principal: str) -> str:
    """A stable resource name for a principal: `role_<account>_<encoded name>` for IAM ARNs,
    `<kind>_<encoded subject>` otherwise (Entra object ids lower-cased, as Azure compares them).

    The kind and account have fixed shapes and the name is `encode_name`d, so the address is
    injective over principals (tests/test_generate_addresses.py proves it over hostile names).
    """
    match = AWS_ARN.fullmatch(principal)
    if match:
        return ident(match["kind"], match["account"], encode_name(match["name"]))
    kind, _, subject = principal.partition(":")
    return ident(kind, encode_name(subject.lower() if _is_guid(subject) else subject))


class AddressCollision(RenderError):
    """Two different objects were given one Terraform address: never merge them."""


def claim(seen: dict[str, object], address: str, owner: object, what: str, cluster: str) -> bool:
    """Record that `owner` holds `address` in `seen`; False when it already did.

    Raises AddressCollision when another owner holds it: merging the two would hand one
    principal the other's grants (generation stops, exit 2, rather than guess).
    """
    if address not in seen:
        seen[address] = owner
        return True
    held = seen[address]
    if held == owner:
        return False
    raise AddressCollision(
        f"cluster {cluster}: {what} {owner!r} and {held!r} would share the Terraform address {address!r}; "
        "rename one of them"
    )


def _is_guid(text: str) -> bool:
    return re.fullmatch(r"[0-9a-fA-F-]{36}", text) is not None


@dataclass(frozen=True, slots=True)
class Subject:
    """A Kubernetes RBAC subject (User or Group)."""

    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Binding:
    """One RoleBinding (namespace set) or ClusterRoleBinding (namespace None) to a ClusterRole."""

    address: str
    name: str
    namespace: str | None
    role: str
    labels: tuple[tuple[str, str], ...]
    subjects: tuple[Subject, ...]

    @property
    def label_map(self) -> dict[str, str]:
        """The binding's labels as a mapping."""
        return dict(self.labels)


def kubernetes_bindings(
    plan: ClusterPlan, subject_of: Callable[[Grant], Subject]
) -> tuple[list[Binding], list[Binding]]:
    """RoleBindings per (namespace, level) and ClusterRoleBindings per level, subjects merged.

    Each namespace belongs to one team, so a (namespace, level) binding only ever holds that
    team's principals; the address `<namespace>_<level>` moves with nothing else.
    """
    namespaced: dict[tuple[str, str], tuple[str, set[Subject]]] = {}
    cluster: dict[str, set[Subject]] = {}
    for grant in plan.grants:
        subject = subject_of(grant)
        if grant.scope == "cluster":
            cluster.setdefault(grant.level, set()).add(subject)
            continue
        for ns in grant.namespaces:
            namespaced.setdefault((ns, grant.level), (grant.team or "", set()))[1].add(subject)
    role_bindings = [
        Binding(
            address=ident(ns, level),
            name=binding_name(team, level, cluster_wide=False),
            namespace=ns,
            role=CLUSTER_ROLE[level],
            labels=((MANAGED_BY_LABEL, MANAGED_BY_VALUE), (TEAM_LABEL, team)),
            subjects=_sorted(subjects),
        )
        for (ns, level), (team, subjects) in namespaced.items()
    ]
    cluster_bindings = [
        Binding(
            address=ident(cluster_binding_name(level)),
            name=binding_name(None, level, cluster_wide=True),
            namespace=None,
            role=CLUSTER_ROLE[level],
            labels=((MANAGED_BY_LABEL, MANAGED_BY_VALUE),),
            subjects=_sorted(subjects),
        )
        for level, subjects in cluster.items()
    ]
    return sorted(role_bindings, key=lambda b: b.address), sorted(cluster_bindings, key=lambda b: b.address)


def binding_name(team: str | None, level: str, cluster_wide: bool) -> str:
    """The name of fleet-intent's RBAC binding for a grant, which is also the Kubernetes group
    aws-auth maps the grant's principal to on CONFIG_MAP clusters (SPEC §4)."""
    return f"fleet-intent:{cluster_binding_name(level)}" if cluster_wide else f"fleet-intent:{team}:{level}"


def cluster_binding_name(level: str) -> str:
    """`cluster-view` or `cluster-admin`: the name of a cluster-wide grant level."""
    return "cluster-admin" if level == "cluster-admin" else f"cluster-{level}"


def _sorted(subjects: Iterable[Subject]) -> tuple[Subject, ...]:
    return tuple(sorted(set(subjects), key=lambda s: (s.kind, s.name)))


def unique_principals(plan: ClusterPlan) -> list[str]:
    """Every distinct principal of the plan's grants, sorted by resource address."""
    seen: dict[str, object] = {}
    for grant in plan.grants:
        claim(seen, principal_address(grant.principal), grant.principal, "principals", plan.name)
    return [str(seen[key]) for key in sorted(seen)]


def service_account_address(namespace: str, service_account: str) -> str:
    """The resource name of a workload identity's objects (`<namespace>_<encoded ksa>`; a
    namespace is a DNS label, without `_`, so the first `_` ends it)."""
    return ident(namespace, encode_name(service_account))


def service_account_labels(team: str) -> dict:
    """The labels fleet-intent puts on the service accounts it creates."""
    return {MANAGED_BY_LABEL: MANAGED_BY_VALUE, TEAM_LABEL: team}


def per_workload_identity(plan: ClusterPlan, fields: Callable[[WorkloadIdentityPlan], dict]) -> list[dict]:
    """One template item per workload identity: its service account's `address`, then
    `fields(wi)`, sorted by address (so a new identity moves no other resource)."""
    items = ({"address": service_account_address(wi.namespace, wi.service_account), **fields(wi)} for wi in plan.workload_identities)
    return sorted(items, key=lambda item: item["address"])


def annotated_service_accounts(plan: ClusterPlan, annotation: str) -> list[dict]:
    """The plan's Kubernetes service accounts, each annotated `annotation: <its identity>`."""
    return per_workload_identity(
        plan,
        lambda wi: {
            "name": wi.service_account,
            "namespace": wi.namespace,
            "labels": service_account_labels(wi.team),
            "annotations": {annotation: wi.identity},
        },
    )


def cluster_root(plan: ClusterPlan, path: str) -> str:
    """The path of a file in the cluster's root module."""
    return f"clusters/{plan.name}/{path}"


def render_root_files(
    plan: ClusterPlan, env: Environment, cloud_provider: dict, files: dict[str, tuple[str, dict] | str]
) -> list[RenderedFile]:
    """Render versions.tf, variables.tf (clusters reached through a kubeconfig context) and each `files` entry (path -> (template, context), or
    text already rendered), skipping files that come out empty."""
    base = {"cluster": plan.cluster, "plan": plan}
    out = [
        RenderedFile(
            cluster_root(plan, "versions.tf"),
            _tidy(render_template(env, "common/versions.tf.j2", plan.name, **base, required_providers=[cloud_provider, KUBERNETES_PROVIDER])),
        ),
    ]
    if plan.cluster.kube_context:
        # The kubeconfig route (common/kubernetes-kubeconfig.tf.j2) and its variables.
        out.append(RenderedFile(cluster_root(plan, "variables.tf"), _tidy(render_template(env, "common/variables.tf.j2", plan.name, **base))))
    for path, spec in files.items():
        text = _tidy(spec if isinstance(spec, str) else render_template(env, spec[0], plan.name, **base, **spec[1]))
        if text.strip():
            out.append(RenderedFile(cluster_root(plan, path), text))
    return out


def rbac_text(plan: ClusterPlan, env: Environment, subject_of: Callable[[Grant], Subject]) -> str:
    """rbac.tf: one block per binding (common/role-binding.tf.j2, common/cluster-role-binding.tf.j2).

    Each block is rendered once per distinct binding: a namespace hosted on many clusters
    usually has the same bindings on all of them.
    """
    role_bindings, cluster_bindings = kubernetes_bindings(plan, subject_of)
    guard = admission_params_dependency(plan, CLUSTER_ADMIN_GUARD)
    blocks = [render_cached(env, "common/role-binding.tf.j2", plan.name, binding=b) for b in role_bindings]
    blocks += [
        render_cached(env, "common/cluster-role-binding.tf.j2", plan.name, binding=b, depends_on=guard if b.role == "cluster-admin" else None)
        for b in cluster_bindings
    ]
    return "\n".join(_tidy(block) for block in blocks)


def _tidy(text: str) -> str:
    # Templates end every block with a blank line; a file ends with exactly one newline.
    text = text.strip("\n")
    return text + "\n" if text else ""


def rbac_cluster_admins(plan: ClusterPlan, subject_of: Callable[[Grant], Subject]) -> list[tuple[str, str]]:
    """The (kind, name) subjects of the cluster-admin ClusterRoleBinding `rbac.tf` holds when
    the translator grants through Kubernetes RBAC with `subject_of`."""
    return sorted(
        {(s.kind, s.name) for s in map(subject_of, (g for g in plan.grants if g.scope == "cluster" and g.level == "cluster-admin"))}
    )


def admission_files(plan: ClusterPlan, env: Environment, cluster_admins: list[tuple[str, str]]) -> list[RenderedFile]:
    """`admission.tf` and `manifests/admission.yaml`: the same admission objects (SPEC §13) for
    Terraform and for kubectl/GitOps; nothing without an `admission:` block."""
    objects = admission_objects(plan, cluster_admins)
    if not objects:
        return []
    manifests = []
    addresses: dict[tuple[str, str], str] = {}
    for obj in objects:
        address = admission_address(obj)
        addresses[(obj["kind"], obj["metadata"]["name"])] = address
        manifests.append({"address": address, "manifest": obj, "depends_on": _admission_depends_on(obj, addresses)})
    text = render_template(env, "common/admission.tf.j2", plan.name, manifests=manifests)
    return [
        RenderedFile(cluster_root(plan, "admission.tf"), _tidy(text)),
        RenderedFile(cluster_root(plan, "manifests/admission.yaml"), admission_yaml(objects)),
    ]


# Resource name prefixes (the object's name follows): short, and distinct per kind.
_ADMISSION_KINDS = {
    "Namespace": "namespace",
    "ConfigMap": "params",
    "ValidatingAdmissionPolicy": "policy",
    "ValidatingAdmissionPolicyBinding": "binding",
}


def admission_address(obj: dict) -> str:
    """The `kubernetes_manifest` resource name of an admission object (kind prefix + name)."""
    return ident(_ADMISSION_KINDS[obj["kind"]], encode_name(obj["metadata"]["name"]))


def admission_params_dependency(plan: ClusterPlan, policy: str) -> HclRaw | None:
    """`depends_on` for what a policy's parameters must admit (the namespaces, the cluster-admin
    binding): the parameter ConfigMap, when the cluster has admission policies."""
    if not plan.admission_mode:
        return None
    return HclRaw(f"[kubernetes_manifest.{admission_address({'kind': 'ConfigMap', 'metadata': {'name': policy}})}]")


def _admission_depends_on(obj: dict, addresses: dict[tuple[str, str], str]) -> HclRaw | None:
    """Parameters after their namespace; a binding after its policy and parameters, so that a
    binding never points at what is not there yet (an unknown policy is ignored silently,
    kubernetes/kubernetes#117263, and missing parameters refuse every request)."""
    name = obj["metadata"]["name"]
    if obj["kind"] == "ConfigMap":
        needs = [("Namespace", obj["metadata"]["namespace"])]
    elif obj["kind"] == "ValidatingAdmissionPolicyBinding":
        needs = [("ValidatingAdmissionPolicy", name)] + ([("ConfigMap", name)] if "paramRef" in obj["spec"] else [])
    else:
        return None
    return HclRaw("[" + ", ".join(f"kubernetes_manifest.{addresses[need]}" for need in needs) + "]")


def admission_yaml(objects: list[dict]) -> str:
    """The objects as one multi-document YAML file, dumped from data (never templated)."""
    return "---\n".join(
        yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000) for obj in objects
    )
