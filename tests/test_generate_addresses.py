"""Resource addresses are injective: two different objects never share one, and if code ever
tried to give them one, generation stops instead of merging them (REDTEAM R1)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import NOW
from generate_support import blocks, example_data, of_type, parse, render, strings

from translators.aks.render import credential_name, role_assignments
from translators.common import (
    AddressCollision,
    claim,
    decode_name,
    encode_name,
    principal_address,
    service_account_address,
)

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/"


def _eks_only(data: dict, cluster_access: list[dict], teams_access: list[dict] | None = None) -> dict:
    data["clusterAccess"] = cluster_access
    data["clusters"] = [c for c in data["clusters"] if c["name"] == "prod-use1"]
    data["exceptions"] = [e for e in data["exceptions"] if not e.get("clusters") or "prod-use1" in e["clusters"]]
    for exc in data["exceptions"]:
        if exc.get("clusters"):
            exc["clusters"] = ["prod-use1"]
    if teams_access is not None:
        for team in data["teams"]:
            team["access"] = teams_access if team["name"] == "payments" else []
    return data


def _policies_by_principal(files: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    found = blocks(files, "prod-use1")
    entries = {name: strings(body)["principal_arn"] for name, body in of_type(found, "aws_eks_access_entry").items()}
    out: dict[str, dict[str, list[str]]] = {arn: {} for arn in entries.values()}
    for body in of_type(found, "aws_eks_access_policy_association").values():
        # principal_arn = aws_eks_access_entry.<address>.principal_arn
        entry = body["principal_arn"].removeprefix("${aws_eks_access_entry.").removesuffix(".principal_arn}")
        policy = strings(body)["policy_arn"].rsplit("/", 1)[-1]
        scope = strings(body)["access_scope"][0]
        out[entries[entry]][policy] = sorted(scope.get("namespaces", []))
    return out


def test_red_team_collision_gives_each_principal_only_its_own_grant():
    # The 8 hex digits the old address scheme appended to `role/ci/deployer`.
    suffix = hashlib.sha256(f"{ROLE}ci/deployer".encode()).hexdigest()[:8]
    viewer, admin = f"{ROLE}ci/deployer", f"{ROLE}ci_deployer_{suffix}"
    data = _eks_only(example_data(), [{"level": "view", "aws": [viewer]}, {"level": "cluster-admin", "aws": [admin]}], [])
    policies = _policies_by_principal(render(parse(data), ["prod-use1"]))
    assert policies[viewer] == {"AmazonEKSViewPolicy": []}
    assert policies[admin] == {"AmazonEKSClusterAdminPolicy": []}


def test_red_team_namespaced_collision_keeps_admin_off_the_viewer():
    suffix = hashlib.sha256(f"{ROLE}x/b".encode()).hexdigest()[:8]
    viewer, admin = f"{ROLE}x/b", f"{ROLE}x_b_{suffix}"
    data = _eks_only(example_data(), [], [{"level": "view", "aws": [viewer]}, {"level": "admin", "aws": [admin]}])
    policies = _policies_by_principal(render(parse(data), ["prod-use1"]))
    assert set(policies[viewer]) == {"AmazonEKSViewPolicy"}
    assert set(policies[admin]) == {"AmazonEKSAdminPolicy"}


def test_generate_stops_rather_than_merge_two_principals(tmp_path, run, monkeypatch):
    # Should a future address rule collide, the principals are never merged: exit 2, one line.
    import translators.eks.render as eks_render

    monkeypatch.setattr(eks_render, "principal_address", lambda principal: "role_same")
    code, out, err = run("generate", "fixtures/example.yaml", "-o", tmp_path / "out", "--cluster", "prod-use1")
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "would share the Terraform address 'role_same'" in err
    assert not (tmp_path / "out").exists()


def test_claim_accepts_the_same_owner_twice_and_refuses_another():
    seen: dict[str, object] = {}
    assert claim(seen, "a", "p1", "principals", "c") is True
    assert claim(seen, "a", "p1", "principals", "c") is False
    with pytest.raises(AddressCollision, match="cluster c: principals 'p2' and 'p1'"):
        claim(seen, "a", "p2", "principals", "c")


# --- injectivity, over hostile names -------------------------------------------------------

# Characters that matter to the encoding: its escape character, the named escapes, characters
# near them, and any other text.
_TRICKY = st.sampled_from(list("_-@./+=,aAtdos0u9x") + ["_at_", "__", "_u2b_", "_slash_", "\u0660", "é", "\U0001f600"])
names = st.one_of(st.lists(_TRICKY, max_size=10).map("".join), st.text(max_size=20))


@given(names)
@settings(max_examples=500, deadline=None)
def test_encode_name_is_reversible_and_uses_identifier_characters(text):
    encoded = encode_name(text)
    assert decode_name(encoded) == text
    assert all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in encoded)


@given(names, names)
@settings(max_examples=500, deadline=None)
def test_different_names_never_share_an_encoding(a, b):
    if a != b:
        assert encode_name(a) != encode_name(b)


def test_decode_refuses_what_encode_never_writes():
    for bad in ("_", "_x_", "_u41_", "_u02f_", "a_dot", "é", "_u110000_"):
        with pytest.raises(ValueError):
            decode_name(bad)


iam_names = st.lists(st.sampled_from(list("ab_-/.@+=,0") + ["_slash_", "_at_", "8e3bfc65"]), min_size=1, max_size=8).map("".join)
emails = st.tuples(
    st.lists(st.sampled_from(list("ab_-.+%'0") + ["at", "_at_"]), min_size=1, max_size=6).map("".join),
    st.lists(st.sampled_from(["a", "b-c", "dot", "at", "u2e"]), min_size=2, max_size=3).map(".".join),
).map(lambda t: f"{t[0]}@{t[1]}")
guids = st.uuids().map(str)
aws_principals = st.tuples(st.sampled_from(["role", "user"]), st.sampled_from([ACCOUNT, "444455556666"]), iam_names).map(
    lambda t: f"arn:aws:iam::{t[1]}:{t[0]}/{t[2]}"
)
gcp_principals = st.tuples(st.sampled_from(["group", "user", "serviceAccount"]), emails).map(":".join)
azure_principals = st.tuples(st.sampled_from(["group", "user", "servicePrincipal"]), guids).map(":".join)


@pytest.mark.parametrize("principals", [aws_principals, gcp_principals, azure_principals], ids=["aws", "gcp", "azure"])
def test_distinct_principals_never_share_an_address(principals):
    @given(st.lists(principals, min_size=2, max_size=6, unique=True))
    @settings(max_examples=300, deadline=None)
    def check(found):
        by_address: dict[str, str] = {}
        for principal in found:
            other = by_address.setdefault(principal_address(principal), principal)
            assert other == principal, f"{principal} and {other} share {principal_address(principal)}"

    check()


@given(st.lists(st.one_of(aws_principals, gcp_principals, azure_principals), min_size=2, max_size=8, unique=True))
@settings(max_examples=300, deadline=None)
def test_principals_of_different_providers_never_share_an_address(found):
    addresses = [principal_address(p) for p in found]
    assert len(set(addresses)) == len(found)


dns_labels = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,6}[a-z0-9])?", fullmatch=True)
dns_subdomains = st.lists(dns_labels, min_size=1, max_size=3).map(".".join)


@given(st.lists(st.tuples(dns_labels, dns_subdomains), min_size=2, max_size=6, unique=True))
@settings(max_examples=300, deadline=None)
def test_service_accounts_never_share_an_address(accounts):
    assert len({service_account_address(ns, sa) for ns, sa in accounts}) == len(accounts)


@given(st.lists(st.tuples(dns_labels, dns_labels, dns_subdomains), min_size=2, max_size=6, unique=True))
@settings(max_examples=300, deadline=None)
def test_federated_credential_names_are_unique_per_cluster_and_service_account(items):
    # Several clusters federate one managed identity: equal names would replace each other.
    names = [credential_name(*item) for item in items]
    assert len(set(names)) == len(items)
    assert all(3 <= len(n) <= 120 and n.replace("-", "").replace("_", "").isalnum() for n in names)


def test_federated_credential_names_that_differ_only_where_dashes_fall_differ():
    assert credential_name("a-b", "c", "d") != credential_name("a", "b-c", "d")
    assert credential_name("a", "b", "c.d") != credential_name("a", "b-c", "d")


def test_long_federated_credential_names_stay_distinct_within_azure_limit():
    a = credential_name("c" * 63, "n" * 63, "s" * 200 + ".x")
    b = credential_name("c" * 63, "n" * 63, "s" * 200 + ".y")
    assert a != b and len(a) == len(b) == 120


@given(st.lists(azure_principals, min_size=1, max_size=4, unique=True), st.lists(dns_labels, min_size=1, max_size=3, unique=True))
@settings(max_examples=100, deadline=None)
def test_aks_role_assignment_addresses_are_unique(principals, namespaces):
    from intent.plan import plan_fleet

    data = example_data()
    cluster_grants = [("view", principals[:1]), ("cluster-admin", principals[1:2])]
    data["clusterAccess"] = [{"level": level, "azure": found} for level, found in cluster_grants if found]
    team = next(t for t in data["teams"] if t["name"] == "payments")
    team["namespaces"] = [{"name": ns} for ns in namespaces]
    team["workloadIdentities"] = []
    team["access"] = [{"level": level, "azure": principals[i::3]} for i, level in enumerate(("view", "edit", "admin")) if principals[i::3]]
    data["teams"] = [team]
    data["clusters"] = [dict(c, teams=["payments"]) for c in data["clusters"] if c["name"] == "prod-weu"]
    data["exceptions"] = []
    plan = plan_fleet(parse(data).intent, NOW).clusters[0]
    assignments = role_assignments(plan)
    keys = {(a["principal_id"], a["scope"], a["role"]) for a in assignments}
    assert len({a["address"] for a in assignments}) == len(assignments) == len(keys)


def test_two_blocks_of_one_address_in_a_cluster_root_stop_rendering(tmp_path):
    # The last line of defence, whatever a template or translator does: a module never gets
    # two blocks of one address (Terraform would refuse it only at plan time).
    from intent.plan import plan_fleet
    from intent.generate.render import RenderError, make_environment, render_fleet

    (tmp_path / "eks").mkdir()
    (tmp_path / "eks" / "access.tf.j2").write_text(
        '{% for entry in access_entries %}\nresource "aws_eks_access_entry" "same" {\n}\n\n{% endfor %}\n'
    )
    loaded = parse(example_data())
    with pytest.raises(RenderError, match=r'clusters/prod-use1/access.tf: resource aws_eks_access_entry same is declared twice'):
        render_fleet(plan_fleet(loaded.intent, NOW, ["prod-use1"]), make_environment(tmp_path))


@given(st.lists(dns_labels, min_size=1, max_size=4, unique=True), st.sets(st.sampled_from(["view", "edit", "admin"]), min_size=1))
@settings(max_examples=100, deadline=None)
def test_rbac_bindings_never_share_an_address(namespaces, levels):
    from intent.plan import plan_fleet
    from translators.common import Subject, kubernetes_bindings

    data = example_data()
    team = next(t for t in data["teams"] if t["name"] == "payments")
    team["namespaces"] = [{"name": ns} for ns in namespaces]
    team["workloadIdentities"] = []
    team["access"] = [{"level": level, "gcp": [f"group:{level}@acme.example"]} for level in sorted(levels)]
    data["teams"] = [team]
    data["clusterAccess"] = [{"level": "view", "gcp": ["group:v@acme.example"]},
                             {"level": "cluster-admin", "gcp": ["group:a@acme.example"]}]
    data["clusters"] = [dict(c, teams=["payments"]) for c in data["clusters"] if c["name"] == "prod-euw1"]
    data["exceptions"] = []
    plan = plan_fleet(parse(data).intent, NOW).clusters[0]

    role_bindings, cluster_bindings = kubernetes_bindings(plan, lambda g: Subject("Group", g.subject))

    addresses = [b.address for b in role_bindings + cluster_bindings]
    assert len(set(addresses)) == len(addresses) == len(namespaces) * len(levels) + 2
