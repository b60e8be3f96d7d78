"""aws-auth -> access entries: what each aws-auth mapping of an EKS cluster becomes once the
cluster reads access entries only, and whether the principal's access after the move equals
its access before (`fleet-intent migrate-eks`, docs/migrate-eks.md).

Provider facts this relies on:
- Modes only move forward: CONFIG_MAP -> API_AND_CONFIG_MAP -> API. EKS user guide
  (grant-k8s-access, "Set cluster authentication mode"): "Once the access entry method is
  enabled, it cannot be disabled. If the ConfigMap method is not enabled during cluster
  creation, it cannot be enabled later"; setting-up-access-entries.html: "you can't change the
  authentication mode back to a mode that removes the EKS API and access entries", and API
  "disable[s] the ConfigMap method permanently".
- In API_AND_CONFIG_MAP an access entry overrides the aws-auth mapping of the same ARN
  (grant-k8s-access; REFERENCE-2 §3.1).
- Node roles become access entries of type EC2_LINUX, EC2_WINDOWS or FARGATE_LINUX, which EKS
  creates itself for managed node groups and Fargate profiles once the mode includes the API
  (terraform-aws-eks docs/UPGRADE-20.0.md); self-managed nodes need one created.
- STANDARD entries get the username `arn:<p>:sts::<acct>:assumed-role/<role>/{{SessionName}}`
  (role, IAM path dropped) or the user's ARN (creating-access-entries.adoc); kubernetesGroups
  starting with `system:` are refused ("cannot start with system:", aws/karpenter-provider-aws#7558),
  so `system:masters` cannot be carried over as a group (terraform-aws-eks#2915).
- hashicorp/aws internal/service/eks/access_entry.go: `kubernetes_groups` and `user_name` are
  Optional+Computed, so groups given to an entry outside Terraform survive the generated
  `aws_eks_access_entry` (which sets neither) and `adopt` imports the entry as it is.

Access is compared as sets of (level, namespace) grants: the access policies stand for the
default ClusterRoles, as the rest of fleet-intent treats them (AmazonEKSClusterAdminPolicy for
cluster-admin, system:masters for cluster-admin too), and a grant is covered by one of the same
or a higher level at the same or a wider scope (view < edit < admin < cluster-admin: each
default ClusterRole aggregates the one below). Any other role (`other:<Kind>/<name>`) is
covered only by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from intent.observe.observed import aws_auth_node_kind, level_rank, principal_key
from intent.plan import ClusterPlan
from intent.provider_roles import EKS_POLICY_LEVELS
from intent.yamlsafe import SAFE_LOADER
from translators import kubernetes_state as k8s

from ..common import AWS_ARN
from .observe import AWS_AUTH, MASTERS, access_entry_records, authentication_mode, aws_auth_entries
from .render import access_entries

MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")
# The access entry type a node role's mapping becomes (creating-access-entries.adoc).
NODE_ENTRY_TYPES = {"linux": "EC2_LINUX", "windows": "EC2_WINDOWS", "fargate": "FARGATE_LINUX"}
# The groups fleet-intent's CONFIG_MAP roots map principals to (render.aws_auth_group): their
# bindings live in that root's rbac.tf and go when step 2 regenerates it, so they are never
# suggested as an access entry's kubernetesGroups.
FLEET_INTENT_GROUPS = "fleet-intent:"
NODE_USERNAMES = {"EC2_LINUX": "system:node:{{EC2PrivateDNSName}}", "EC2_WINDOWS": "system:node:{{EC2PrivateDNSName}}",
                  "FARGATE_LINUX": "system:node:{{SessionName}}"}


@dataclass(frozen=True, slots=True, order=True)
class Access:
    """One grant: `level` (an intent level or `other:<Kind>/<name>`) in `namespace`, or
    cluster-wide when `namespace` is empty."""

    level: str
    namespace: str = ""

    def covered_by(self, other: Access) -> bool:
        """Whether `other` gives at least this: the same or a higher level, at the same or a wider scope."""
        if other.namespace and other.namespace != self.namespace:
            return False
        if self.level == other.level:
            return True
        return level_rank(self.level) > 0 and level_rank(other.level) >= level_rank(self.level)

    def text(self) -> str:
        return f"{self.level} in {self.namespace}" if self.namespace else f"{self.level} cluster-wide"

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "namespace": self.namespace or None}


def uncovered(grants: frozenset[Access], by: frozenset[Access]) -> tuple[Access, ...]:
    """The grants of `grants` that nothing in `by` covers, without those another of them covers."""
    missing = [g for g in grants if not any(g.covered_by(b) for b in by)]
    return tuple(sorted(g for g in missing if not any(o != g and g.covered_by(o) for o in missing)))


@dataclass(frozen=True, slots=True)
class AccessEntryPlan:
    """The access entry a mapping becomes. `policies` are (policy name, namespaces; empty for
    cluster scope); `exists` says whether the cluster already has it (of this type)."""

    type: str
    principal_arn: str
    username: str
    policies: tuple[tuple[str, tuple[str, ...]], ...] = ()
    kubernetes_groups: tuple[str, ...] = ()
    exists: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "principalArn": self.principal_arn,
            "username": self.username,
            "accessPolicies": [
                {"policy": name, "scope": "namespace" if ns else "cluster", "namespaces": list(ns)} for name, ns in self.policies
            ],
            "kubernetesGroups": list(self.kubernetes_groups),
            "exists": self.exists,
        }


@dataclass(frozen=True, slots=True)
class MappingMigration:
    """One aws-auth mapping (a mapRoles or mapUsers entry, or one account of mapAccounts) and
    what it becomes.

    `kind` is `principal`, `node:<linux|windows|fargate>`, `account` or `unsupported`.
    `before` is what the principal holds today through the mapping (and its access entry, if
    it has one), `after` what its access entry gives once the intent is applied; `lost` and
    `gained` are their differences. `problems` are what stops the mapping from having an
    equivalent beyond those; `actions` say how to get one; `notes` need no action.
    """

    source: str
    arn: str
    username: str | None
    groups: tuple[str, ...]
    kind: str
    becomes: AccessEntryPlan | None
    before: tuple[Access, ...] = ()
    after: tuple[Access, ...] = ()
    lost: tuple[Access, ...] = ()
    gained: tuple[Access, ...] = ()
    problems: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def equivalent(self) -> bool:
        """Access after the move equals access before, and nothing else stands in the way."""
        return not (self.lost or self.gained or self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "arn": self.arn,
            "username": self.username,
            "groups": list(self.groups),
            "kind": self.kind,
            "equivalent": self.equivalent,
            "becomes": self.becomes.to_dict() if self.becomes else None,
            "before": [a.to_dict() for a in self.before],
            "after": [a.to_dict() for a in self.after],
            "lost": [a.to_dict() for a in self.lost],
            "gained": [a.to_dict() for a in self.gained],
            "problems": list(self.problems),
            "actions": list(self.actions),
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class MigrationStep:
    """One step of the move, in order; `status` is done, current (the first one not done) or pending."""

    number: int
    title: str
    commands: tuple[str, ...]
    irreversible: str | None
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "title": self.title, "commands": list(self.commands),
                "irreversible": self.irreversible, "status": self.status}


@dataclass(frozen=True, slots=True)
class EksMigration:
    """The migration report of one EKS cluster: every mapping, the steps, and the intent's
    principals that have no mapping today (access the move adds)."""

    cluster: str
    region: str
    cluster_mode: str
    intent_mode: str
    mappings: tuple[MappingMigration, ...]
    steps: tuple[MigrationStep, ...]
    new_principals: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def equivalent(self) -> bool:
        """Every mapping has an equivalent: the cluster can stop reading aws-auth."""
        return all(m.equivalent for m in self.mappings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "region": self.region,
            "authenticationMode": {"cluster": self.cluster_mode, "intent": self.intent_mode},
            "equivalent": self.equivalent,
            "mappings": [m.to_dict() for m in self.mappings],
            "blocking": [m.arn for m in self.mappings if not m.equivalent],
            "newPrincipals": list(self.new_principals),
            "steps": [s.to_dict() for s in self.steps],
            "notes": list(self.notes),
        }


@dataclass
class _Entry:
    """An access entry read from the cluster."""

    arn: str
    type: str
    username: str | None
    groups: tuple[str, ...]
    policies: tuple[tuple[str, tuple[str, ...]], ...]  # (policy name, namespaces; empty = cluster)


def migration_report(plan: ClusterPlan, documents: dict[str, Any]) -> EksMigration:
    """The migration report of EKS cluster `plan.name` from its documents (CollectError when
    one is missing or malformed)."""
    mode = authentication_mode(documents)
    if mode not in MODES:
        raise k8s.fail("aws/cluster.json", f"cluster.accessConfig.authenticationMode {mode[:40]!r} is not one of {', '.join(MODES)}")
    cluster = plan.cluster
    notes: list[str] = []
    mappings: list[MappingMigration] = []
    mapped_keys: set[str] = set()
    new_principals: tuple[str, ...] = ()
    if mode == "API":
        notes.append("the cluster reads access entries only: aws-auth is not read any more (a leftover ConfigMap grants nothing)")
    elif AWS_AUTH not in documents:
        notes.append("the cluster has no kube-system/aws-auth ConfigMap: there is no mapping to carry over")
    else:
        context = _Context(plan, documents, mode)
        for source, arn, username, groups in aws_auth_entries(documents):
            mappings.append(context.mapping(source, arn, username, tuple(groups)))
            mapped_keys.add(principal_key(arn))
        mappings += [_account_mapping(account) for account in _map_accounts(documents)]
        # Principals the move gives access they do not have today: no mapping, no access entry.
        mapped_keys |= {key for key, found in context.entries.items() if any(e.type == "STANDARD" for e in found)}
        new_principals = tuple(e["principal"] for e in access_entries(plan) if principal_key(e["principal"]) not in mapped_keys)
    equivalent = all(m.equivalent for m in mappings)
    return EksMigration(
        cluster=cluster.name,
        region=cluster.region,
        cluster_mode=mode,
        intent_mode=cluster.authentication_mode,
        mappings=tuple(mappings),
        steps=migration_steps(cluster.name, cluster.region, mode, cluster.authentication_mode, equivalent),
        new_principals=new_principals,
        notes=tuple(notes),
    )


class _Context:
    """What every mapping of one cluster is compared against: its RBAC bindings, its access
    entries and the intent's."""

    def __init__(self, plan: ClusterPlan, documents: dict[str, Any], mode: str):
        self.plan = plan
        self.mode = mode
        self.bindings = k8s.binding_grants_by_subject(k8s.parse_bindings(documents))
        # A CONFIG_MAP cluster has no access entry API, hence no entries.
        self.entries = _existing_entries(documents) if mode != "CONFIG_MAP" else {}
        self.intent = {principal_key(e["principal"]): e for e in access_entries(plan)}

    def subject_access(self, kind: str, name: str) -> set[Access]:
        return {Access(b.level, b.namespace or "") for b in self.bindings.get((kind, name), [])}

    def entry_access(self, entry: _Entry, replaced: frozenset[str] = frozenset()) -> set[Access]:
        """What an access entry gives: its policies (but those named in `replaced`), its groups'
        and its username's bindings."""
        out = {
            Access(EKS_POLICY_LEVELS.get(name, f"other:{name}"), ns)
            for name, namespaces in entry.policies if name not in replaced
            for ns in namespaces or ("",)
        }
        for group in entry.groups:
            out |= self.subject_access("Group", group)
        if entry.username:
            out |= self.subject_access("User", entry.username)
        return out

    def mapping(self, source: str, arn: str, username: str | None, groups: tuple[str, ...]) -> MappingMigration:
        username = str(username) if username is not None else None
        match = AWS_ARN.fullmatch(arn)
        if match is None or match["name"].startswith("aws-service-role/"):
            return MappingMigration(
                source, arn, username, groups, "unsupported", None,
                problems=(f"{arn} is not an IAM role or user ARN that access entries accept (service-linked roles "
                          "and other ARNs have no access entry): no equivalent; remove the mapping or map the IAM "
                          "role or user it stands for",),
            )
        node_kind = aws_auth_node_kind(groups)
        if node_kind is not None:
            return self.node_mapping(source, arn, username, groups, node_kind)
        return self.principal_mapping(source, arn, username, groups, match)

    def node_mapping(self, source, arn, username, groups, node_kind) -> MappingMigration:
        want = NODE_ENTRY_TYPES[node_kind]
        found = self.entries.get(principal_key(arn), [])
        typed = next((e for e in found if e.type == want), None)
        becomes = AccessEntryPlan(want, typed.arn if typed else arn, NODE_USERNAMES[want], exists=typed is not None)
        problems: list[str] = []
        actions: list[str] = []
        if typed is None:
            other = next((e for e in found), None)
            create = (f"aws eks create-access-entry --cluster-name {self.plan.cluster.name} --region {self.plan.cluster.region} "
                      f"--principal-arn {arn} --type {want}")
            if other is not None:
                problems.append(f"the role has an access entry of type {other.type}, not {want}: it overrides this mapping")
                actions.append(f"an entry's type cannot change: delete it (aws eks delete-access-entry) and run `{create}`")
            else:
                problems.append(f"no {want} access entry for this node role yet")
                actions.append(
                    "EKS creates it for managed node groups and Fargate profiles when the mode becomes API_AND_CONFIG_MAP; "
                    f"self-managed nodes need `{create}`"
                    if self.mode == "CONFIG_MAP" else
                    f"managed node groups and Fargate profiles get theirs from EKS; self-managed nodes need `{create}`"
                )
        return MappingMigration(source, arn, username, groups, f"node:{node_kind}", becomes,
                                problems=tuple(problems), actions=tuple(actions))

    def principal_mapping(self, source, arn, username, groups, match) -> MappingMigration:
        key = principal_key(arn)
        found = self.entries.get(key, [])
        standard = [e for e in found if e.type == "STANDARD"]
        # The entry of this very ARN if there is one, else the role's under another spelling (IAM path, case).
        entry = next((e for e in standard if e.arn == arn), standard[0] if standard else None)
        problems: list[str] = []
        actions: list[str] = []
        notes: list[str] = []
        if entry is None and found:
            problems.append(f"the {found[0].type} access entry of this ARN overrides the mapping, and is no STANDARD entry")
        intent_entry = self.intent.get(key)
        intent_access = set()
        intent_policies: list[tuple[str, tuple[str, ...]]] = []
        for association in intent_entry["associations"] if intent_entry else []:
            name = association["policy_arn"].rsplit("/", 1)[-1]
            namespaces = tuple(association["namespaces"])
            intent_policies.append((name, namespaces))
            intent_access |= {Access(EKS_POLICY_LEVELS[name], ns) for ns in namespaces or ("",)}

        # What the mapping gives: its groups' and username's bindings, system:masters as cluster-admin.
        mapped: set[Access] = set()
        carried_groups = [g for g in groups if not g.startswith("system:")]
        if MASTERS in groups:
            mapped.add(Access("cluster-admin"))
        for group in sorted(set(groups) - {MASTERS}):
            if group.startswith("system:"):
                problems.append(f"group {group} cannot be carried over: EKS refuses kubernetesGroups starting with system:")
        group_access = {g: self.subject_access("Group", g) for g in carried_groups}
        for access in group_access.values():
            mapped |= access
        if username:
            mapped |= self.subject_access("User", username)

        # Applying the intent sets the scope of each policy it names (EKS takes a policy once per
        # entry); the entry's other policies, groups and username stay (Optional+Computed).
        intent_names = frozenset(name for name, _ in intent_policies)
        entry_access = self.entry_access(entry) if entry else set()
        kept_access = self.entry_access(entry, intent_names) if entry else set()
        before = frozenset(mapped | entry_access)
        after = frozenset(intent_access | kept_access)
        lost = uncovered(before, after)
        if MASTERS in groups and Access("cluster-admin") in after:
            notes.append("system:masters bypasses RBAC (and webhooks) where AmazonEKSClusterAdminPolicy is evaluated by "
                         "EKS's authorizer: the same access, through another mechanism")
        gained = uncovered(after, before)

        # The suggested entry: the intent's policies and the existing entry's, plus the groups
        # whose bindings give something the policies do not.
        needed = [g for g in carried_groups
                  if not g.startswith(FLEET_INTENT_GROUPS) and uncovered(frozenset(group_access[g]), after)]
        kubernetes_groups = tuple(sorted(set(entry.groups if entry else ()) | set(needed)))
        principal = entry.arn if entry else intent_entry["principal"] if intent_entry else arn
        after_username = (entry.username if entry and entry.username else _standard_username(principal, match))
        policies = sorted(set(intent_policies) | {p for p in (entry.policies if entry else ()) if p[0] not in intent_names})
        becomes = AccessEntryPlan("STANDARD", principal, after_username, tuple(policies), kubernetes_groups, exists=entry is not None)

        if username and username != after_username:
            user_bound = self.subject_access("User", username)
            notes.append(
                f"username {username!r} becomes {after_username!r}"
                + (": bindings to that User do not carry over" if user_bound else " (no binding names that User)")
            )
            if user_bound:
                actions.append(f"rebind the User {username!r} bindings to one of the entry's kubernetesGroups, or to User {after_username!r}")
        missing_groups = [g for g in needed if entry is None or g not in entry.groups]
        if missing_groups:
            flag = " ".join(kubernetes_groups)
            if entry is None:
                actions.append(f"`aws eks create-access-entry --cluster-name {self.plan.cluster.name} --region {self.plan.cluster.region} "
                               f"--principal-arn {principal} --kubernetes-groups {flag}`"
                               + (" (then `fleet-intent adopt` imports it)" if intent_entry else "")
                               + (" once the mode is API_AND_CONFIG_MAP" if self.mode == "CONFIG_MAP" else ""))
            else:
                actions.append(f"`aws eks update-access-entry --cluster-name {self.plan.cluster.name} --region {self.plan.cluster.region} "
                               f"--principal-arn {entry.arn} --kubernetes-groups {flag}`")
        lost_levels = [a for a in lost if level_rank(a.level) > 0 and not any(a in group_access[g] for g in needed)]
        if lost_levels:
            actions.append(f"grant {', '.join(a.text() for a in lost_levels)} to {principal} in the intent, "
                           "or accept the loss by removing the mapping from aws-auth")
        if gained:
            actions.append(f"the intent grants more than aws-auth does ({', '.join(a.text() for a in gained)}): review it; "
                           "once step 2 has put them on the access entry, the API step changes nothing for this principal")
        if not intent_entry and not entry:
            notes.append("the intent grants this principal nothing on this cluster")
        if ":role/" in arn and not intent_entry and not entry:
            notes.append("aws-auth role ARNs carry no IAM path: if the role has one, the access entry needs the ARN with it")
        return MappingMigration(
            source, arn, username, groups, "principal", becomes,
            before=tuple(sorted(before)), after=tuple(sorted(after)), lost=lost, gained=gained,
            problems=tuple(problems), actions=tuple(actions), notes=tuple(notes),
        )


def _standard_username(principal: str, match) -> str:
    """The username EKS gives a STANDARD entry: the assumed-role ARN (no IAM path) or the user's ARN."""
    if match["kind"] == "user":
        return principal
    return f"arn:{match['partition']}:sts::{match['account']}:assumed-role/{principal.rsplit('/', 1)[-1]}/{{{{SessionName}}}}"


def _account_mapping(account: str) -> MappingMigration:
    return MappingMigration(
        "mapAccounts", account, None, (), "account", None,
        problems=(f"mapAccounts lets every IAM principal of account {account} in; access entries have no "
                  "account-wide form: no equivalent",),
        actions=("map each role or user of that account that needs access explicitly (in the intent), then remove "
                 "the account from mapAccounts",),
    )


def _map_accounts(documents: dict[str, Any]) -> list[str]:
    """The accounts of aws-auth `data.mapAccounts` (a YAML list of account ids)."""
    data = k8s.as_dict(documents[AWS_AUTH], AWS_AUTH, "the document").get("data") or {}
    raw = k8s.as_dict(data, AWS_AUTH, "data").get("mapAccounts")
    if raw is None or not str(raw).strip():
        return []
    try:
        accounts = yaml.load(str(raw), Loader=SAFE_LOADER)
    except yaml.YAMLError:
        raise k8s.fail(AWS_AUTH, "data.mapAccounts is not valid YAML") from None
    items = k8s.as_list(accounts or [], AWS_AUTH, "data.mapAccounts")
    for i, item in enumerate(items):
        if not isinstance(item, (str, int)) or isinstance(item, bool):
            raise k8s.fail(AWS_AUTH, f"data.mapAccounts[{i}] is not an account id")
    return [str(item) for item in items]


def _existing_entries(documents: dict[str, Any]) -> dict[str, list[_Entry]]:
    """Every access entry of the cluster (all types) by principal key."""
    out: dict[str, list[_Entry]] = {}
    for record in access_entry_records(documents):
        policies = tuple((arn.rsplit("/", 1)[-1], tuple(sorted(ns)) if ns else ()) for arn, ns in record.policies)
        out.setdefault(principal_key(record.arn), []).append(
            _Entry(record.arn, record.type, record.username, tuple(sorted(record.groups)), policies)
        )
    return out


def migration_steps(name: str, region: str, cluster_mode: str, intent_mode: str, equivalent: bool) -> tuple[MigrationStep, ...]:
    """The steps of the move in order, each marked done, current or pending from the cluster's
    mode, the intent's mode and whether every mapping has its equivalent."""
    root = f"out/clusters/{name}"
    update = f"aws eks update-cluster-config --name {name} --region {region} --access-config authenticationMode="
    steps = [
        ("turn access entries on: EKS reads them and aws-auth, an entry overriding the mapping of its ARN",
         (update + "API_AND_CONFIG_MAP",),
         "AWS cannot turn the access entry method off again: the cluster never returns to CONFIG_MAP",
         cluster_mode != "CONFIG_MAP"),
        ("manage the access entries from the intent",
         (f"set `authenticationMode: API_AND_CONFIG_MAP` for {name} in INTENT",
          *((f"terraform -chdir={root} state rm kubernetes_config_map_v1_data.aws_auth  # before generating: the new root "
             "has no aws-auth, and destroying it would empty aws-auth, node roles included (docs/generate.md)",)
            if intent_mode == "CONFIG_MAP" else ()),
          "fleet-intent generate INTENT",
          f"fleet-intent adopt INTENT --live --cluster {name}",
          f"terraform -chdir={root} apply"),
         None,
         intent_mode != "CONFIG_MAP"),
        ("make every aws-auth mapping equivalent (the actions above), re-running until it exits 0",
         (f"fleet-intent migrate-eks INTENT --cluster {name} --live",),
         None,
         equivalent),
        ("stop reading aws-auth",
         (update + "API",),
         "AWS cannot turn the ConfigMap method back on: aws-auth is never read again",
         cluster_mode == "API"),
        ("record the mode in the intent",
         (f"set `authenticationMode: API` for {name} in INTENT",
          "fleet-intent generate INTENT",
          f"terraform -chdir={root} apply",
          "kubectl -n kube-system delete configmap aws-auth  # optional: nothing reads it any more"),
         None,
         intent_mode == "API"),
    ]
    out = []
    current_found = False
    for number, (title, commands, irreversible, done) in enumerate(steps, start=1):
        if done:
            status = "done"
        elif not current_found:
            status, current_found = "current", True
        else:
            status = "pending"
        out.append(MigrationStep(number, title, commands, irreversible, status))
    return tuple(out)
