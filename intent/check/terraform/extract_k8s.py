"""Namespaces and the aws-auth ConfigMap out of Kubernetes-provider resources."""

from __future__ import annotations

import re
from typing import Any

from intent.check.findings import FI_TF_001, FI_TF_002
from intent.observe.observed import AWS_AUTH_NODE_GROUPS, aws_auth_node_mapping
from intent.yamlsafe import SAFE_LOADER
from intent.check.terraform.hclvalues import Expr, decode, find_expr, nested_blocks
from intent.check.terraform.objects import Extracted, Source, TfGrant, TfNamespace, Unevaluated
from intent.check.terraform.parse import Block

NAMESPACE_TYPES = ("kubernetes_namespace", "kubernetes_namespace_v1")
CONFIG_MAP_TYPES = ("kubernetes_config_map", "kubernetes_config_map_v1", "kubernetes_config_map_v1_data")
_ENCODE_CALL = re.compile(r"^\s*(yamlencode|jsonencode)\((.*)\)\s*$", re.S)


def extract_namespaces(block: Block, out: Extracted) -> None:
    """A kubernetes_namespace(_v1) resource as a TfNamespace (or what stops it being read)."""
    metadata = (nested_blocks(block.body, "metadata") or [{}])[0]
    source = Source(block.address, block.file, block.line)
    name = metadata.get("name")
    if isinstance(name, Expr):
        out.unevaluated.append(Unevaluated(name.text, "namespace name", FI_TF_001, source))
        out.incomplete.add("namespaces")
        return
    if not isinstance(name, str):
        return  # generate_name only: a random name is never a managed namespace
    labels = metadata.get("labels", {})
    out.namespaces.append(TfNamespace(name, labels if labels is not None else {}, source))


def groups_to_grants(
    groups: list[str],
    principal: str,
    mechanism: str,
    source: Source,
    team_namespaces: dict[str, tuple[str, ...]],
) -> list[TfGrant]:
    """The access Kubernetes group names give: system:masters and fleet-intent's own groups.

    fleet-intent's groups are `fleet-intent:cluster-admin`, `fleet-intent:cluster-view` and
    `fleet-intent:<team>:<level>` (SPEC §4). Any other group's rights depend on bindings the
    template does not show, so it becomes a grant of unknown level.
    """
    grants: list[TfGrant] = []
    for group in groups:
        level, scope, namespaces = None, "cluster", ()
        if group == "system:masters":
            level = "cluster-admin"
        elif group == "fleet-intent:cluster-admin":
            level = "cluster-admin"
        elif group == "fleet-intent:cluster-view":
            level = "view"
        elif group.startswith("fleet-intent:") and group.count(":") == 2:
            _, team, team_level = group.split(":")
            if team in team_namespaces and team_level in ("view", "edit", "admin"):
                level, scope, namespaces = team_level, "namespace", team_namespaces[team]
        grants.append(TfGrant("eks", principal, level, scope, namespaces, f"group {group}", mechanism, source))
    return grants


def _map_entries(value: Any, key: str, source: Source, out: Extracted) -> list[dict] | None:
    """The list of mappings in an aws-auth `mapRoles`/`mapUsers` value, or None if unreadable."""
    import yaml

    if isinstance(value, Expr):
        call = _ENCODE_CALL.match(value.text)
        if call is None:
            out.unevaluated.append(Unevaluated(value.text, f"aws-auth {key}", FI_TF_002, source, "eks"))
            out.incomplete.add("eks")
            return None
        literal = _hcl_literal(call.group(2))
        inner = find_expr(literal) if literal is not None else Expr(call.group(2))
        if literal is None or inner is not None:
            text = inner.text if inner is not None else value.text
            out.unevaluated.append(Unevaluated(text, f"aws-auth {key}", FI_TF_002, source, "eks"))
            out.incomplete.add("eks")
            return None
        entries = literal
    elif isinstance(value, str):
        try:
            entries = yaml.load(value, Loader=SAFE_LOADER) if value.strip() else []
        except yaml.YAMLError:
            out.unevaluated.append(Unevaluated(f"{key} (not valid YAML)", f"aws-auth {key}", FI_TF_002, source, "eks"))
            out.incomplete.add("eks")
            return None
    else:
        return []
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict)]


def _hcl_literal(expression: str) -> Any:
    """The value of an HCL expression text (such as yamlencode's argument), or None on error."""
    import hcl2
    from hcl2.utils import SerializationOptions

    try:
        data = hcl2.loads(f"v = {expression}\n", serialization_options=SerializationOptions(with_comments=False))
    except Exception:
        return None
    return decode(data.get("v"))


def extract_aws_auth(block: Block, out: Extracted, team_namespaces: dict[str, tuple[str, ...]]) -> None:
    """Grants in an aws-auth ConfigMap resource (mapRoles / mapUsers), node mappings skipped."""
    metadata = (nested_blocks(block.body, "metadata") or [{}])[0]
    if metadata.get("name") != "aws-auth":
        return
    source = Source(block.address, block.file, block.line)
    out.grant_providers.add("eks")
    data = block.body.get("data")
    if isinstance(data, Expr):
        out.unevaluated.append(Unevaluated(data.text, "aws-auth data", FI_TF_002, source, "eks"))
        out.incomplete.add("eks")
        return
    if not isinstance(data, dict):
        return
    for key, arn_field in (("mapRoles", "rolearn"), ("mapUsers", "userarn")):
        if key not in data:
            continue
        entries = _map_entries(data[key], key, source, out)
        for entry in entries or []:
            arn = entry.get(arn_field)
            if isinstance(arn, Expr):
                out.unevaluated.append(Unevaluated(arn.text, f"aws-auth {key} {arn_field}", FI_TF_002, source, "eks"))
                out.incomplete.add("eks")
                continue
            if not isinstance(arn, str):
                continue
            raw_groups = entry.get("groups") or []
            raw_groups = [raw_groups] if isinstance(raw_groups, str) else raw_groups
            groups = [g for g in raw_groups if isinstance(g, str)] if isinstance(raw_groups, list) else []
            username = entry.get("username") if isinstance(entry.get("username"), str) else ""
            if aws_auth_node_mapping(groups):
                continue  # node role mapping: provider-managed, never drift (SPEC §7)
            groups = [g for g in groups if g not in AWS_AUTH_NODE_GROUPS]
            item = Source(f"{block.address}.data.{key}", block.file, block.line_of(re.escape(arn)), arn)
            grants = groups_to_grants(groups, arn, "aws-auth", item, team_namespaces)
            if not grants:
                # A mapping without groups still authenticates the principal as a user.
                grants = [TfGrant("eks", arn, None, "cluster", (), f"user {username or arn}", "aws-auth", item)]
            out.grants.extend(grants)
