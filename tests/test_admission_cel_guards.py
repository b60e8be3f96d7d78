"""The cluster-admin guard and the aws-auth guard (SPEC §13) judged by a real CEL runtime
(tests/admission_cel.py) over objects they must admit and must reject, with the committed
out/clusters/<c>/manifests/admission.yaml of the bundled example.

legacy-usw2 (EKS, CONFIG_MAP) grants the intent's cluster-admins through the aws-auth group
`fleet-intent:cluster-admin` and has the aws-auth guard; prod-euw1 (GKE) binds a Google group.
"""

from __future__ import annotations

import hcl2
import pytest
import yaml

from admission_cel import Request, committed_documents, generated_documents, judge_in, named, outcome
from conftest import ROOT
from generate_support import example_data, unquote
from intent.admission import AWS_AUTH_GUARD, CLUSTER_ADMIN_GUARD

RBAC = "rbac.authorization.k8s.io"


committed = committed_documents


def subject(kind: str, name: str, namespace: str | None = None) -> dict:
    out = {"kind": kind, "name": name}
    if kind == "ServiceAccount":
        out["namespace"] = namespace
    else:
        out["apiGroup"] = RBAC
    return out


def binding(name: str, subjects: list[dict] | None, role: str = "cluster-admin", role_kind: str = "ClusterRole", namespace: str | None = None) -> dict:
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    obj = {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": meta, "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": role}}
    if subjects is not None:
        obj["subjects"] = subjects
    return obj


def guard(cluster: str, obj: dict, operation: str = "CREATE", old: dict | None = None, resource: str | None = None):
    resource = resource or ("rolebindings" if obj["kind"] == "RoleBinding" else "clusterrolebindings")
    return judge_in(committed(cluster), CLUSTER_ADMIN_GUARD, Request(operation, resource, obj, old_object=old, group=RBAC))


MASTERS = subject("Group", "system:masters")
EKS_ADMINS = subject("Group", "fleet-intent:cluster-admin")

# (cluster, binding, admitted?) for creates.
CREATES = [
    # Kubernetes' bootstrap binding (recreated by the API server at start).
    ("legacy-usw2", binding("cluster-admin", [MASTERS]), True),
    ("prod-use1", binding("cluster-admin", [MASTERS]), True),
    ("dev-weu", binding("cluster-admin", [MASTERS]), True),
    # The intent's own subjects, as each translator binds them.
    ("legacy-usw2", binding("other-name", [EKS_ADMINS]), True),
    ("prod-euw1", binding("x", [subject("Group", "platform-admins@acme.example")]), True),
    ("dev-weu", binding("x", [subject("Group", "6f1c2d3e-0000-4000-8000-000000000001")]), True),
    ("legacy-usw2", binding("both", [EKS_ADMINS, MASTERS]), True),
    # Undeclared subjects.
    ("legacy-usw2", binding("devs", [subject("Group", "developers")]), False),
    ("legacy-usw2", binding("alice", [subject("User", "alice@acme.example")]), False),
    ("legacy-usw2", binding("ci", [subject("ServiceAccount", "ci", "default")]), False),
    ("legacy-usw2", binding("kube-system-sa", [subject("ServiceAccount", "default", "kube-system")]), False),
    ("legacy-usw2", binding("sneaky", [EKS_ADMINS, subject("User", "mallory")]), False),  # one bad subject is enough
    # The right name with the wrong kind, or another cluster's subject.
    ("legacy-usw2", binding("kind", [subject("User", "fleet-intent:cluster-admin")]), False),
    ("legacy-usw2", binding("kind2", [subject("User", "system:masters")]), False),
    ("legacy-usw2", binding("gke", [subject("Group", "platform-admins@acme.example")]), False),
    ("prod-use1", binding("eks", [EKS_ADMINS]), False),  # prod-use1 grants cluster-admin by access policy
    # Names that look like an allowed subject's spelling.
    ("legacy-usw2", binding("spell", [subject("Group", "fleet-intent:cluster-admin ")]), False),
    ("legacy-usw2", binding("spell2", [subject("Group", "Fleet-intent:cluster-admin")]), False),
    # A RoleBinding to ClusterRole cluster-admin is judged the same.
    ("legacy-usw2", binding("ns-admin", [subject("User", "alice@acme.example")], namespace="payments"), False),
    ("legacy-usw2", binding("ns-admin", [EKS_ADMINS], namespace="payments"), True),
    # Not cluster-admin: not matched.
    ("legacy-usw2", binding("edit", [subject("User", "alice@acme.example")], role="edit"), True),
    ("legacy-usw2", binding("admin", [subject("User", "alice@acme.example")], role="admin", namespace="payments"), True),
    ("legacy-usw2", binding("role", [subject("User", "alice@acme.example")], role_kind="Role", namespace="payments"), True),
    # A binding with no subject grants nothing.
    ("legacy-usw2", binding("empty", None), True),
    ("legacy-usw2", binding("empty", []), True),
]


@pytest.mark.parametrize(("cluster", "obj", "admitted"), CREATES, ids=[f"{c}-{o['metadata']['name']}-{i}" for i, (c, o, _) in enumerate(CREATES)])
def test_cluster_admin_guard_table(cluster, obj, admitted):
    verdict = guard(cluster, obj)
    assert verdict.admitted == admitted, verdict.violations
    assert not verdict.errors, verdict.errors
    if not admitted:
        assert verdict.violations == ["cluster-admin may be bound only to the subjects the security intent names as cluster-admins"]


def test_bindings_to_other_roles_are_not_matched():
    # The match condition skips them (the policy does not apply at all).
    assert not guard("legacy-usw2", binding("edit", [subject("User", "x")], role="edit")).matched
    assert not guard("legacy-usw2", binding("role", [subject("User", "x")], role_kind="Role", namespace="payments")).matched


def test_a_role_named_cluster_admin_is_not_matched():
    role = {"apiVersion": f"{RBAC}/v1", "kind": "Role", "metadata": {"name": "cluster-admin", "namespace": "payments"}, "rules": []}
    assert not guard("legacy-usw2", role, resource="roles").matched
    cluster_role = {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": {"name": "cluster-admin"}, "rules": []}
    assert not guard("legacy-usw2", cluster_role, resource="clusterroles").matched


def _intent_binding(cluster: str) -> dict:
    """The cluster-admin ClusterRoleBinding the committed out/clusters/<cluster>/rbac.tf creates."""
    parsed = hcl2.loads((ROOT / "out" / "clusters" / cluster / "rbac.tf").read_text(encoding="utf-8"))
    for block in parsed["resource"]:
        for name, body in block.get('"kubernetes_cluster_role_binding_v1"', {}).items():
            role = body["role_ref"][0]
            if unquote(role["name"]) == "cluster-admin":
                subjects = [{k: unquote(v) for k, v in s.items() if k in ("kind", "name", "namespace", "api_group")} for s in body["subject"]]
                for s in subjects:
                    if "api_group" in s:
                        s["apiGroup"] = s.pop("api_group")
                return binding(unquote(body["metadata"][0]["name"]), subjects)
    raise AssertionError(f"no cluster-admin binding in {cluster}/rbac.tf")


@pytest.mark.parametrize("cluster", ["legacy-usw2", "prod-euw1", "dev-weu"])
def test_the_intents_own_cluster_admin_binding_is_admitted(cluster):
    obj = _intent_binding(cluster)
    assert obj["subjects"]
    verdict = guard(cluster, obj)
    assert verdict.matched and verdict.admitted, verdict.violations
    # ...and not on a cluster whose intent grants cluster-admin otherwise.
    assert not guard("prod-use1", obj).admitted


def test_an_update_may_keep_a_bindings_existing_subjects_but_not_add_one():
    provider = subject("User", "eks:addon-manager")  # a subject a provider controller reconciles
    old = binding("provider-admin", [provider, MASTERS])
    assert guard("legacy-usw2", binding("provider-admin", [provider, MASTERS]), "UPDATE", old).admitted
    assert guard("legacy-usw2", binding("provider-admin", [provider]), "UPDATE", old).admitted  # removing is fine
    added = guard("legacy-usw2", binding("provider-admin", [provider, subject("User", "mallory")]), "UPDATE", old)
    assert not added.admitted and not added.errors
    # The same subject in another namespace, or of another kind, is a new subject.
    sa_old = binding("sa", [subject("ServiceAccount", "ops", "tools")])
    assert guard("legacy-usw2", binding("sa", [subject("ServiceAccount", "ops", "tools")]), "UPDATE", sa_old).admitted
    assert not guard("legacy-usw2", binding("sa", [subject("ServiceAccount", "ops", "default")]), "UPDATE", sa_old).admitted
    assert not guard("legacy-usw2", binding("k", [subject("Group", "eks:addon-manager")]), "UPDATE", old).admitted
    # An old binding without subjects grandfathers nothing; the same object as a CREATE is judged whole.
    assert not guard("legacy-usw2", binding("x", [provider]), "UPDATE", binding("x", None)).admitted
    assert not guard("legacy-usw2", binding("provider-admin", [provider, MASTERS])).admitted


# --- aws-auth -----------------------------------------------------------------------------

NODE_ROLE = """\
- rolearn: arn:aws:iam::111122223333:role/legacy-usw2-nodes
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
"""
ADMINS = """\
- rolearn: arn:aws:iam::111122223333:role/platform-admin
  username: platform-admin
  groups:
    - fleet-intent:cluster-admin
"""


def aws_auth(data: dict | None, namespace: str = "kube-system", name: str = "aws-auth") -> dict:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}}
    if data is not None:
        obj["data"] = data
    return obj


def auth_guard(obj: dict, operation: str = "CREATE", old: dict | None = None, cluster: str = "legacy-usw2"):
    return judge_in(committed(cluster), AWS_AUTH_GUARD, Request(operation, "configmaps", obj, old_object=old))


TEXTUAL = "aws-auth must not map anyone to system:masters (grant cluster-admin through the security intent)"
BACKSLASH = "aws-auth must not hold a backslash: a YAML escape can spell system:masters in other characters"


def _masters_role(groups_yaml: str) -> str:
    return f"- rolearn: arn:aws:iam::111122223333:role/x\n  username: x\n  groups:{groups_yaml}"


# (key, YAML text, violations, whether PyYAML reads a group system:masters from it)
SPELLINGS = [
    ("mapRoles", _masters_role("\n    - system:masters\n"), [TEXTUAL], True),
    ("mapRoles", _masters_role("\n    - 'system:masters'\n"), [TEXTUAL], True),
    ("mapRoles", _masters_role('\n    - "system:masters"\n'), [TEXTUAL], True),
    ("mapRoles", _masters_role(" [system:masters]\n"), [TEXTUAL], True),
    ("mapRoles", _masters_role(' ["system:masters", system:nodes]\n'), [TEXTUAL], True),
    ("mapRoles", _masters_role("\n    - !!str system:masters\n"), [TEXTUAL], True),
    ("mapRoles", _masters_role("\n    - >-\n      system:masters\n"), [TEXTUAL], True),
    ("mapRoles", '[{"rolearn": "arn:aws:iam::111122223333:role/x", "username": "x", "groups": ["system:masters"]}]', [TEXTUAL], True),
    ("mapRoles", _masters_role('\n    - "system:\\x6dasters"\n'), [BACKSLASH], True),
    ("mapRoles", _masters_role('\n    - "system:\\u006dasters"\n'), [BACKSLASH], True),
    ("mapRoles", _masters_role('\n    - "system:\\U0000006dasters"\n'), [BACKSLASH], True),
    ("mapRoles", _masters_role('\n    - "system:\\\n      masters"\n'), [BACKSLASH], True),  # escaped line break
    ("mapRoles", '[{"rolearn": "arn:aws:iam::111122223333:role/x", "username": "x", "groups": ["system:\\u006dasters"]}]', [BACKSLASH], True),
    ("mapUsers", "- userarn: arn:aws:iam::111122223333:user/bob\n  username: bob\n  groups:\n    - system:masters\n", [TEXTUAL], True),
    # Textual: also refused where YAML would not read the group (a comment, a username).
    ("mapRoles", NODE_ROLE + "# system:masters was removed\n", [TEXTUAL], False),
    ("mapRoles", "- rolearn: arn:aws:iam::111122223333:role/x\n  username: system:masters\n  groups: []\n", [TEXTUAL], False),
    ("mapRoles", '- rolearn: arn:aws:iam::111122223333:role/x\n  username: "a\\tb"\n  groups: []\n', [BACKSLASH], False),
]


def _groups(text: str) -> set[str]:
    return {g for entry in yaml.safe_load(text) or [] for g in entry.get("groups") or []}


@pytest.mark.parametrize(("key", "text", "violations", "grants_masters"), SPELLINGS, ids=[f"{k}-{i}" for i, (k, *_rest) in enumerate(SPELLINGS)])
def test_aws_auth_spellings_of_system_masters_are_refused(key, text, violations, grants_masters):
    # What aws-iam-authenticator would read from it, by a YAML parser.
    assert ("system:masters" in _groups(text)) == grants_masters
    data = {"mapRoles": NODE_ROLE + ADMINS, key: text} if key != "mapRoles" else {"mapRoles": text}
    verdict = auth_guard(aws_auth(data))
    assert verdict.matched and verdict.violations == violations and not verdict.errors
    update = auth_guard(aws_auth(data), "UPDATE", old=aws_auth({"mapRoles": NODE_ROLE}))
    assert update.violations == violations


@pytest.mark.parametrize(
    "data",
    [
        {"mapRoles": NODE_ROLE},
        {"mapRoles": NODE_ROLE + ADMINS},
        {"mapRoles": NODE_ROLE, "mapUsers": "- userarn: arn:aws:iam::111122223333:user/bob\n  username: bob\n  groups: [view]\n"},
        {"mapRoles": NODE_ROLE, "mapAccounts": "- '111122223333'\n"},
        {},
        None,
    ],
)
def test_aws_auth_without_system_masters_is_admitted(data):
    for operation in ("CREATE", "UPDATE"):
        verdict = auth_guard(aws_auth(data), operation, old=aws_auth({"mapRoles": NODE_ROLE}) if operation == "UPDATE" else None)
        assert verdict.matched and verdict.admitted and not verdict.errors, verdict.violations
    assert "system:masters" not in _groups((data or {}).get("mapRoles", "[]"))


def test_only_kube_system_aws_auth_is_matched():
    masters = {"mapRoles": _masters_role("\n    - system:masters\n")}
    assert not auth_guard(aws_auth(masters, namespace="default")).matched  # match condition false
    assert not auth_guard(aws_auth(masters, name="aws-auth-backup")).matched  # resourceNames
    assert not auth_guard(aws_auth(masters, name="coredns")).matched
    assert auth_guard(aws_auth(masters)).matched


def test_the_aws_auth_guard_refuses_only_in_deny_mode():
    masters = aws_auth({"mapRoles": _masters_role("\n    - system:masters\n")})
    warn_docs = committed("legacy-usw2")
    request = Request("UPDATE", "configmaps", masters, old_object=aws_auth({"mapRoles": NODE_ROLE}))
    verdict = judge_in(warn_docs, AWS_AUTH_GUARD, request)
    assert outcome(verdict, named(warn_docs, "ValidatingAdmissionPolicyBinding", AWS_AUTH_GUARD)) == "admitted with warnings"
    data = example_data()
    data["admission"] = {"mode": "deny"}
    deny_docs = generated_documents(data, "legacy-usw2")
    assert outcome(judge_in(deny_docs, AWS_AUTH_GUARD, request), named(deny_docs, "ValidatingAdmissionPolicyBinding", AWS_AUTH_GUARD)) == "denied"
    verdict = judge_in(deny_docs, CLUSTER_ADMIN_GUARD, Request("CREATE", "clusterrolebindings", binding("x", [subject("User", "mallory")]), group=RBAC))
    assert outcome(verdict, named(deny_docs, "ValidatingAdmissionPolicyBinding", CLUSTER_ADMIN_GUARD)) == "denied"
