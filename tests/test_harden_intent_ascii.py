"""ASCII where the providers' formats are ASCII: account ids, regions, PSA versions and IAM
names do not take Arabic-Indic or full-width digits or look-alike letters (R10)."""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import EXAMPLE, NOW
from intent.errors import IntentError
from intent.load import parse_intent

DATA = yaml.safe_load(EXAMPLE.read_text())
ARABIC_12 = "\u0661" * 4 + "\u0662" * 4 + "\u0663" * 4  # ١١١١٢٢٢٢٣٣٣٣
FULLWIDTH_12 = "\uff11" * 4 + "\uff12" * 4 + "\uff13" * 4
CYRILLIC_E = "\u0435"


def _parse(data):
    return parse_intent(yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode(), "u.yaml", NOW)


def _refused(data, path: str, words: str):
    with pytest.raises(IntentError) as caught:
        _parse(data)
    problems = [p for p in caught.value.problems if p.path == path]
    assert problems and words in problems[0].message, [str(p) for p in caught.value.problems]


def _set(path: tuple, value):
    data = copy.deepcopy(DATA)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    "path, value, shown, words",
    [
        (("clusters", 0, "accountId"), ARABIC_12, "clusters[0].accountId", "12-digit AWS account id"),
        (("clusters", 0, "accountId"), FULLWIDTH_12, "clusters[0].accountId", "12-digit AWS account id"),
        (("clusters", 0, "region"), "us-east-\u0661", "clusters[0].region", "AWS region"),
        (("podSecurity", "version"), "v1.\u0663\u0660", "podSecurity.version", "v1.<minor>"),
        (("clusterAccess", 0, "aws", 0), f"arn:aws:iam::{ARABIC_12}:role/platform-admin", "clusterAccess[0].aws[0]", "IAM role or user ARN"),
        (("clusterAccess", 0, "aws", 0), f"arn:aws:iam::111122223333:role/pay-d{CYRILLIC_E}v", "clusterAccess[0].aws[0]", "IAM role or user ARN"),
        (("teams", 0, "access", 1, "aws", 0), "arn:aws:iam::444455556666:user/\u00e9mile", "teams[0].access[1].aws[0]", "IAM role or user ARN"),
        (("clusters", 2, "nodeRoleArns", 0), f"arn:aws:iam::111122223333:role/n{CYRILLIC_E}des", "clusters[2].nodeRoleArns[0]", "ASCII"),
        (("teams", 0, "workloadIdentities", 0, "aws"), f"arn:aws:iam::{FULLWIDTH_12}:role/payments-api", "teams[0].workloadIdentities[0].aws", "IAM role"),
        # A managed identity name is ASCII letters, digits, '-' and '_' (Azure naming rules).
        (
            ("teams", 0, "workloadIdentities", 0, "azure", "identityId"),
            DATA["teams"][0]["workloadIdentities"][0]["azure"]["identityId"].replace("payments-api", f"paym{CYRILLIC_E}nts-api"),
            "teams[0].workloadIdentities[0].azure.identityId",
            "managed identity",
        ),
        # Resource group names take Unicode letters and decimal digits, not other numerals.
        (("clusters", 4, "resourceGroup"), "rg-\u00bd", "clusters[4].resourceGroup", "resource group"),
        (("clusters", 4, "resourceGroup"), "rg-prod.", "clusters[4].resourceGroup", "resource group"),
        (("clusters", 4, "resourceGroup"), "rg" + "\u0301", "clusters[4].resourceGroup", "resource group"),
    ],
)
def test_non_ascii_look_alikes_are_refused(path, value, shown, words):
    _refused(_set(path, value), shown, words)


def test_azure_resource_groups_may_use_unicode_letters_and_digits():
    # Azure: "letters or digits as defined by Char.IsLetterOrDigit", '_', '-', '.', '()'.
    data = _set(("clusters", 4, "resourceGroup"), "rg-m\u00fcnchen_(\u0661)")
    data["teams"][0]["workloadIdentities"][0]["azure"]["identityId"] = (
        "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-\u00e9quipe/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/payments-api"
    )
    loaded = _parse(data)
    assert loaded.intent.clusters[4].resource_group == "rg-m\u00fcnchen_(\u0661)"


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::111122223333:role/a+b=c,d.e@f_g-h",
        "arn:aws:iam::111122223333:role/ci/deploy/release-bot",
        "arn:aws:iam::111122223333:role/" + "p/" * 255 + "name",  # a path of 511 characters
        "arn:aws-us-gov:iam::111122223333:user/ops",
    ],
)
def test_ascii_iam_names_and_paths_stay_valid(arn):
    data = _set(("clusterAccess", 0, "aws", 0), arn)
    data["clusters"] = [c for c in data["clusters"] if c["provider"] != "eks"] if "gov" in arn else data["clusters"]
    data["exceptions"][0]["clusters"] = None if "gov" in arn else data["exceptions"][0]["clusters"]
    assert _parse(data).intent.cluster_access[0].aws == [arn]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::111122223333:role/" + "p/" * 256 + "name",  # the path /p/p/.../ is 513 characters
        "arn:aws:iam::111122223333:role/", "arn:aws:iam::111122223333:role/ci/", "arn:aws:iam::111122223333:role/ci//x", "arn:aws:iam::111122223333:role/" + "x" * 65]
)
def test_iam_arn_needs_a_name_of_at_most_64_characters_and_a_path_of_at_most_512(arn):
    _refused(_set(("clusterAccess", 0, "aws", 0), arn), "clusterAccess[0].aws[0]", "IAM role or user ARN")
