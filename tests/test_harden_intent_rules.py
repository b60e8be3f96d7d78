"""Validation rules added after the red-team review: reserved namespace labels (R17), AWS
partitions (R18) and the lax checks of R19."""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import EXAMPLE, NOW
from intent.errors import IntentError
from intent.load import parse_intent

DATA = yaml.safe_load(EXAMPLE.read_text())


def _dump(data) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def _parse(data):
    return parse_intent(_dump(data), "r.yaml", NOW)


def _problems(data) -> list:
    with pytest.raises(IntentError) as caught:
        _parse(data)
    return caught.value.problems


def _example():
    return copy.deepcopy(DATA)


# --- R17: labels fleet-intent or Kubernetes set on a namespace ---------------------------------

@pytest.mark.parametrize(
    "key, value, words",
    [
        ("pod-security.kubernetes.io/enforce", "privileged", "podSecurity"),
        ("pod-security.kubernetes.io/warn-version", "v1.30", "podSecurity"),
        ("app.kubernetes.io/managed-by", "evil", "fleet-intent"),
        ("fleet-intent/team", "other", "owning team"),
        ("kubernetes.io/metadata.name", "other", "Kubernetes"),
    ],
)
def test_a_reserved_namespace_label_is_an_error_naming_it(key, value, words):
    data = _example()
    data["teams"][0]["namespaces"][1]["labels"][key] = value
    [problem] = _problems(data)
    assert problem.path == f"teams[0].namespaces[1].labels.{key}"
    assert key in problem.message and words in problem.message
    lines = _dump(data).decode().splitlines()
    assert lines[problem.line - 1].strip().startswith(f"{key}:")


def test_psa_label_error_says_where_a_weaker_level_goes():
    data = _example()
    data["teams"][0]["namespaces"][0]["labels"] = {"pod-security.kubernetes.io/enforce": "privileged"}
    [problem] = _problems(data)
    assert "exceptions" in problem.message and "podSecurity" in problem.message


@pytest.mark.parametrize("command", ["validate", "plan", "generate"])
def test_reserved_label_fails_every_command(run, tmp_path, command):
    data = _example()
    data["teams"][1]["namespaces"][0]["labels"]["app.kubernetes.io/managed-by"] = "evil"
    intent = tmp_path / "r.yaml"
    intent.write_bytes(_dump(data))
    extra = ["-o", tmp_path / "out"] if command == "generate" else []
    code, out, err = run(command, intent, *extra)
    assert code == 2 and "app.kubernetes.io/managed-by" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_other_prefixed_labels_and_annotations_stay_allowed():
    data = _example()
    data["teams"][0]["namespaces"][1]["labels"]["app.kubernetes.io/part-of"] = "payments"
    data["teams"][0]["namespaces"][1]["annotations"] = {"pod-security.kubernetes.io/note": "set by fleet-intent"}
    assert _parse(data).intent.teams[0].namespaces[1].labels["app.kubernetes.io/part-of"] == "payments"


# --- R18: AWS partitions -------------------------------------------------------------------------

def _messages_at(problems, path: str) -> list[str]:
    return [p.message for p in problems if p.path == path]


def test_a_china_partition_principal_on_a_us_cluster_is_an_error_naming_the_clusters():
    data = _example()
    data["clusterAccess"][1]["aws"] = ["arn:aws-cn:iam::111122223333:role/security-audit"]
    problems = _problems(data)
    [message] = _messages_at(problems, "clusterAccess[1].aws[0]")
    assert "'aws-cn'" in message and "'aws'" in message
    assert "prod-use1" in message and "stage-use1" in message and "legacy-usw2" in message
    assert {p.path for p in problems} == {"clusterAccess[1].aws[0]"}


def test_a_china_region_cluster_refuses_the_aws_principals_that_reach_it():
    data = _example()
    data["clusters"][0]["region"] = "cn-north-1"  # prod-use1 hosts payments and checkout
    problems = _problems(data)
    for path in ("clusterAccess[0].aws[0]", "teams[0].access[0].aws[0]", "teams[1].workloadIdentities[0].aws"):
        [message] = _messages_at(problems, path)
        assert "prod-use1" in message and "cn-north-1" in message and "'aws-cn'" in message
    # The data team is not on prod-use1: its principals reach only us-* clusters.
    assert not _messages_at(problems, "teams[2].access[0].aws[0]")


def test_a_node_role_from_another_partition_is_an_error():
    data = _example()
    data["clusters"][2]["nodeRoleArns"] = ["arn:aws-us-gov:iam::111122223333:role/legacy-usw2-nodes"]
    [problem] = _problems(data)
    assert problem.path == "clusters[2].nodeRoleArns[0]" and "legacy-usw2" in problem.message


def test_govcloud_clusters_with_govcloud_principals_are_valid():
    data = _example()
    data["clusters"] = [c for c in data["clusters"] if c["provider"] != "eks"]
    data["clusters"].append(
        {"name": "gov-usw1", "provider": "eks", "accountId": "111122223333", "region": "us-gov-west-1",
         "authenticationMode": "API", "teams": ["data"]}
    )
    data["exceptions"] = []
    data["teams"][2]["access"][0]["aws"] = ["arn:aws-us-gov:iam::111122223333:role/data-engineers"]
    # clusterAccess reaches every cluster: its aws principals must be GovCloud ones too.
    problems = _problems(data)
    assert {p.path for p in problems} == {"clusterAccess[0].aws[0]", "clusterAccess[1].aws[0]"}
    for grant in data["clusterAccess"]:
        grant["aws"] = [a.replace("arn:aws:", "arn:aws-us-gov:") for a in grant["aws"]]
    assert _parse(data).intent.clusters[-1].region == "us-gov-west-1"


@pytest.mark.parametrize(
    "region, partition",
    [("us-east-1", "aws"), ("cn-northwest-1", "aws-cn"), ("us-gov-east-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso"),
     ("us-isob-east-1", "aws-iso-b"), ("eu-isoe-west-1", "aws-iso-e"), ("us-isof-south-1", "aws-iso-f")],
)
def test_partition_of_a_region(region, partition):
    from intent.model import aws_partition
    from translators.common import aws_partition as used_by_translators

    assert aws_partition(region) == partition
    assert used_by_translators is aws_partition


def test_iso_partition_principals_are_accepted_on_an_iso_cluster():
    data = _example()
    data["clusters"] = [
        {"name": "iso-use1", "provider": "eks", "accountId": "111122223333", "region": "us-iso-east-1",
         "authenticationMode": "API", "teams": ["checkout"]}
    ]
    data["exceptions"] = []
    for grant in data["clusterAccess"] + data["teams"][1]["access"]:
        grant["aws"] = [a.replace("arn:aws:", "arn:aws-iso:") for a in grant["aws"]]
    data["teams"][1]["workloadIdentities"][0]["aws"] = "arn:aws-iso:iam::111122223333:role/checkout-web"
    assert _parse(data).intent.clusters[0].region == "us-iso-east-1"


# --- R19 (a, b): expires is an ISO date and nothing else ----------------------------------------

@pytest.mark.parametrize(
    "value",
    [1798675200, 20261231, "20261231", "2027-6-30", "2027-06-30T00:00:00Z", True, 2027.5, "\u0662\u0660\u0662\u0667-\u0660\u0666-\u0663\u0660"],
)
def test_expires_that_is_not_an_iso_date_is_refused_saying_so(value):
    data = _example()
    data["exceptions"][0]["expires"] = value
    [problem] = _problems(data)
    assert problem.path == "exceptions[0].expires"
    assert "ISO date YYYY-MM-DD" in problem.message, problem.message
    assert "datetimes provided to dates" not in problem.message


def test_a_yaml_timestamp_for_expires_is_refused():
    text = EXAMPLE.read_text().replace("expires: 2027-06-30", "expires: 2027-06-30 12:00:00")
    with pytest.raises(IntentError) as caught:
        parse_intent(text.encode(), "r.yaml", NOW)
    [problem] = caught.value.problems
    assert problem.path == "exceptions[0].expires" and "ISO date YYYY-MM-DD" in problem.message


def test_expires_as_a_yaml_date_or_a_quoted_iso_date_is_read_as_that_day():
    import datetime as dt

    assert _parse(_example()).intent.exceptions[0].expires == dt.date(2027, 6, 30)
    data = _example()
    data["exceptions"][0]["expires"] = "2027-06-30"
    assert _parse(data).intent.exceptions[0].expires == dt.date(2027, 6, 30)
    data["exceptions"][0]["expires"] = "2027-02-30"
    [problem] = _problems(data)
    assert "ISO date YYYY-MM-DD" in problem.message and "day is out of range" in problem.message


# --- R19c: one principal, one spelling --------------------------------------------------------

def test_an_iam_role_spelled_in_another_case_in_another_grant_is_an_error():
    data = _example()
    data["teams"][1]["access"][0]["aws"].append("arn:aws:iam::111122223333:role/PAYMENTS-DEV")
    [problem] = _problems(data)
    assert problem.path == "teams[1].access[0].aws[1]"
    assert "teams[0].access[0].aws[0]" in problem.message and "case" in problem.message


def test_the_same_role_under_another_path_is_an_error():
    data = _example()
    data["clusterAccess"][1]["aws"].append("arn:aws:iam::111122223333:role/checkout-deployer")
    [problem] = _problems(data)  # reported where the second spelling appears in the document
    assert problem.path == "teams[1].access[1].aws[0]"
    assert "clusterAccess[1].aws[1]" in problem.message and "under another path" in problem.message


def test_a_workload_role_and_a_node_role_spelled_differently_from_a_grant_are_errors():
    data = _example()
    data["teams"][0]["workloadIdentities"][0]["aws"] = "arn:aws:iam::111122223333:role/Payments-Dev"
    data["clusters"][2]["nodeRoleArns"].append("arn:aws:iam::111122223333:role/PLATFORM-ADMIN")
    problems = _problems(data)
    assert {p.path for p in problems} == {"teams[0].workloadIdentities[0].aws", "clusters[2].nodeRoleArns[1]"}


def test_one_spelling_in_several_grants_and_other_accounts_stay_valid():
    data = _example()
    data["teams"][1]["access"][0]["aws"].append("arn:aws:iam::111122223333:role/payments-dev")
    data["teams"][1]["access"][0]["aws"].append("arn:aws:iam::444455556666:role/PAYMENTS-DEV")
    data["teams"][1]["access"][0]["aws"].append("arn:aws:iam::111122223333:user/payments-dev")
    assert len(_parse(data).intent.teams[1].access[0].aws) == 4


def test_an_azure_object_id_in_another_case_in_another_grant_is_an_error():
    data = _example()
    data["teams"][1]["access"][0]["azure"].append("group:6F1C2D3E-0000-4000-8000-000000000002")
    [problem] = _problems(data)
    assert problem.path == "teams[1].access[0].azure[1]"
    assert "teams[0].access[0].azure[0]" in problem.message


def test_azure_guids_are_read_in_lower_case_and_plan_the_same():
    from intent.plan import plan_fleet

    upper = _example()
    upper["clusterAccess"][0]["azure"] = ["group:6F1C2D3E-0000-4000-8000-000000000001"]
    upper["clusters"][4]["subscriptionId"] = "0B0C0D0E-0000-4000-8000-00000000000A"
    upper["teams"][0]["workloadIdentities"][0]["azure"]["clientId"] = "0B0C0D0E-0000-4000-8000-000000000003"
    upper["teams"][1]["access"][1]["azure"] = ["servicePrincipal:6F1C2D3E-0000-4000-8000-000000000005"]
    intent = _parse(upper).intent
    assert intent.cluster_access[0].azure == ["group:6f1c2d3e-0000-4000-8000-000000000001"]
    assert intent.teams[1].access[1].azure == ["servicePrincipal:6f1c2d3e-0000-4000-8000-000000000005"]
    assert intent.clusters[4].subscription_id == "0b0c0d0e-0000-4000-8000-00000000000a"
    plan = lambda i: [c.to_dict() for c in plan_fleet(i, NOW).clusters]  # noqa: E731
    assert plan(intent) == plan(_parse(_example()).intent)


def test_spellings_are_compared_when_fields_use_their_python_names():
    data = _example()
    data["cluster_access"] = data.pop("clusterAccess")
    data["cluster_access"][0]["aws"].append("arn:aws:iam::111122223333:role/Checkout-Web")
    [problem] = _problems(data)
    assert problem.path == "teams[1].workloadIdentities[0].aws"
    assert "cluster_access[0].aws[1]" in problem.message


# --- R19d: Kubernetes' own namespaces are not team namespaces -----------------------------------

@pytest.mark.parametrize("name", ["kube-system", "kube-public", "kube-node-lease"])
def test_a_kubernetes_system_namespace_cannot_be_a_team_namespace(name):
    data = _example()
    data["teams"][2]["namespaces"].append({"name": name})
    [problem] = _problems(data)
    assert problem.path == "teams[2].namespaces[2].name"
    assert name in problem.message and "Pod Security" in problem.message


def test_default_and_other_kube_prefixed_names_stay_team_namespaces():
    data = _example()
    data["teams"][2]["namespaces"] += [{"name": "default"}, {"name": "kube-tools"}]
    assert [ns.name for ns in _parse(data).intent.teams[2].namespaces][-2:] == ["default", "kube-tools"]


# --- R19e: Kubernetes' size limit on annotations --------------------------------------------------

def test_annotations_over_256_kib_in_total_are_refused():
    data = _example()
    data["teams"][1]["namespaces"][0]["annotations"]["acme.example/blob"] = "x" * (3 * 1024 * 1024)
    [problem] = _problems(data)
    assert problem.path == "teams[1].namespaces[0].annotations"
    assert "262144" in problem.message and len(problem.message) < 400


def test_annotations_count_keys_and_utf8_bytes_up_to_the_limit():
    data = _example()
    annotations = data["teams"][1]["namespaces"][0]["annotations"]
    used = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())
    key = "acme.example/blob"
    used += len("fleet-intent/revision") + len("sha256:") + 16  # the annotation generate adds
    annotations[key] = "x" * (262144 - used - len(key))  # exactly at the limit
    assert _parse(data)
    annotations[key] = annotations[key][:-1] + "\u00e9"  # one more byte in UTF-8
    [problem] = _problems(data)
    assert "262145 bytes" in problem.message


def test_an_azure_object_id_under_another_kind_says_so():
    data = _example()
    data["teams"][1]["access"][0]["azure"].append("servicePrincipal:6f1c2d3e-0000-4000-8000-000000000002")
    [problem] = _problems(data)
    assert "written as another kind" in problem.message and "in another case" not in problem.message
