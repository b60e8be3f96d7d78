"""EKS: access entries and access policy associations, or the aws-auth ConfigMap plus RBAC."""

from __future__ import annotations

import functools

import yaml
from jinja2 import Environment

from intent.observe.observed import AWS_AUTH_NODE_KINDS, role_arn_without_path
from intent.plan import ClusterPlan, Grant
from intent.provider_roles import EKS_ACCESS_POLICIES
from intent.generate.render import Attrs

from ..base import RenderedFile
from ..common import (
    AWS_ARN,
    Subject,
    admission_files,
    aws_partition,
    binding_name,
    claim,
    cluster_root,
    per_workload_identity,
    principal_address,
    rbac_cluster_admins,
    rbac_text,
    render_root_files,
)

# aws_eks_access_entry and aws_eks_access_policy_association are new in 5.33.0, aws_eks_pod_identity_association
# in 5.29.0 (hashicorp/aws CHANGELOG); many fleets are still on 5.x, and the suite applies the output with 5.100.
AWS_PROVIDER = {"name": "aws", "source": "hashicorp/aws", "version": ">= 5.33, < 7.0"}
LEVEL_ORDER = ("view", "edit", "admin", "cluster-admin")


def render_eks(plan: ClusterPlan, env: Environment) -> list[RenderedFile]:
    """The Terraform (and, for CONFIG_MAP, the aws-auth manifest) of one EKS cluster."""
    cluster = plan.cluster
    files: dict[str, tuple[str, dict] | str] = {
        "providers.tf": ("eks/providers.tf.j2", {}),
        "kubernetes.tf": ("eks/kubernetes.tf.j2", {}),
    }
    extra: list[RenderedFile] = []
    if cluster.authentication_mode == "CONFIG_MAP":
        map_roles, map_users = aws_auth_mappings(plan)
        files["aws-auth.tf"] = (
            "eks/aws-auth.tf.j2",
            {"map_roles": [Attrs(m) for m in map_roles], "map_users": [Attrs(m) for m in map_users]},
        )
        files["rbac.tf"] = rbac_text(plan, env, lambda g: Subject("Group", aws_auth_group(g)))
        extra.append(RenderedFile(cluster_root(plan, "manifests/aws-auth.yaml"), aws_auth_manifest(map_roles, map_users)))
    else:
        # API and API_AND_CONFIG_MAP: access entries only; fleet-intent writes no aws-auth there.
        files["access.tf"] = ("eks/access.tf.j2", {"access_entries": access_entries(plan)})
    files["workload-identity.tf"] = ("eks/workload-identity.tf.j2", {"pod_identities": pod_identities(plan)})
    extra += admission_files(plan, env, cluster_admin_subjects(plan))
    return render_root_files(plan, env, AWS_PROVIDER, files) + extra


def cluster_admin_subjects(plan: ClusterPlan) -> list[tuple[str, str]]:
    """The RBAC subjects of the intent's cluster-admins (the admission guard's allow-list): the
    aws-auth group on CONFIG_MAP clusters; none in the API modes, where cluster-admin is an
    access policy association."""
    if plan.cluster.authentication_mode != "CONFIG_MAP":
        return []
    return rbac_cluster_admins(plan, lambda g: Subject("Group", aws_auth_group(g)))


def access_entries(plan: ClusterPlan) -> list[dict]:
    """One STANDARD access entry per principal, each with one association per policy.

    EKS accepts each policy only once per access entry, so grants of the same level from
    several teams merge into one association over the union of their namespaces, and a
    cluster-wide grant of a level absorbs the namespaced grants of that level.
    """
    partition = aws_partition(plan.cluster.region)
    principals: dict[str, object] = {}
    levels: dict[str, dict[str, set[str] | None]] = {}
    for grant in plan.grants:
        address = principal_address(grant.principal)
        claim(principals, address, grant.principal, "principals", plan.name)
        scopes = levels.setdefault(address, {})
        if grant.scope == "cluster":
            scopes[grant.level] = None
        elif grant.level not in scopes:
            scopes[grant.level] = set(grant.namespaces)
        elif scopes[grant.level] is not None:
            scopes[grant.level].update(grant.namespaces)
    entries = []
    for address in sorted(principals):
        scopes = levels[address]
        entries.append(
            {
                "address": address,
                "principal": principals[address],
                "associations": [
                    {
                        "address": f"{address}_{level}",
                        "policy_arn": f"arn:{partition}:eks::aws:cluster-access-policy/{EKS_ACCESS_POLICIES[level]}",
                        "namespaces": sorted(scopes[level]) if scopes[level] is not None else [],
                    }
                    for level in LEVEL_ORDER
                    if level in scopes
                ],
            }
        )
    return entries


def aws_auth_group(grant: Grant) -> str:
    """The Kubernetes group aws-auth gives a grant's principal (never system:masters)."""
    return binding_name(grant.team, grant.level, cluster_wide=grant.scope == "cluster")


def aws_auth_mappings(plan: ClusterPlan) -> tuple[list[dict], list[dict]]:
    """The mapRoles and mapUsers entries: node roles first (each with the username and groups
    EKS writes for its kind), then each principal once."""
    roles: dict[str, dict] = {}
    for node in plan.cluster.node_roles:
        rolearn = role_arn_without_path(node.arn)
        username, groups = AWS_AUTH_NODE_KINDS[node.kind]
        roles.setdefault(rolearn, {"rolearn": rolearn, "username": username, "groups": set(groups)})
    principal_roles: dict[str, dict] = {}
    users: dict[str, dict] = {}
    for grant in plan.grants:
        match = AWS_ARN.fullmatch(grant.principal)
        if match is None:
            continue
        group = aws_auth_group(grant)
        if match["kind"] == "user":
            users.setdefault(grant.principal, {"userarn": grant.principal, "username": grant.principal, "groups": set()})["groups"].add(group)
            continue
        rolearn = role_arn_without_path(grant.principal)
        if rolearn in roles:
            roles[rolearn]["groups"].add(group)
            continue
        name = rolearn.rsplit("/", 1)[-1]
        username = f"arn:{match['partition']}:sts::{match['account']}:assumed-role/{name}/{{{{SessionName}}}}"
        principal_roles.setdefault(rolearn, {"rolearn": rolearn, "username": username, "groups": set()})["groups"].add(group)
    ordered = list(roles.values()) + [principal_roles[k] for k in sorted(principal_roles)]
    map_roles = [{**entry, "groups": sorted(entry["groups"])} for entry in ordered]
    map_users = [{**users[k], "groups": sorted(users[k]["groups"])} for k in sorted(users)]
    return map_roles, map_users


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class _BlockDumper(yaml.SafeDumper):
    """A safe dumper that writes multi-line strings as literal blocks (readable diffs)."""

    yaml_representers = {**yaml.SafeDumper.yaml_representers, str: _str}


def aws_auth_manifest(map_roles: list[dict], map_users: list[dict]) -> str:
    """The aws-auth ConfigMap as YAML, dumped from data (never templated)."""
    document = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        # Name and namespace only: kubernetes_config_map_v1_data (aws-auth.tf) patches the data of the
        # existing ConfigMap and nothing else, so a label here would be one Terraform never applies.
        "metadata": {"name": "aws-auth", "namespace": "kube-system"},
        "data": {"mapRoles": mapping_yaml(map_roles), "mapUsers": mapping_yaml(map_users)},
    }
    return yaml.dump(document, Dumper=_BlockDumper, sort_keys=False, default_flow_style=False, allow_unicode=True)


def mapping_yaml(entries: list[dict]) -> str:
    """`yaml.safe_dump(entries)` for a mapRoles/mapUsers list (equal output, entry by entry)."""
    if not entries:
        return yaml.safe_dump([])
    # A block sequence dumps as its items' dumps one after another; caching per entry keeps
    # the pure-Python emitter off the hot path (the same roles recur on many clusters).
    return "".join(_entry_yaml(tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in e.items())) for e in entries)


@functools.lru_cache(maxsize=1 << 14)
def _entry_yaml(items: tuple) -> str:
    entry = {k: list(v) if isinstance(v, tuple) else v for k, v in items}
    return yaml.safe_dump([entry], sort_keys=False, default_flow_style=False)


def pod_identities(plan: ClusterPlan) -> list[dict]:
    """One EKS Pod Identity association per workload identity."""
    return per_workload_identity(
        plan, lambda wi: {"namespace": wi.namespace, "service_account": wi.service_account, "role_arn": wi.identity}
    )
