"""A whole fake fleet for live-collection tests: four fake APIs, a kubeconfig and the env to use them.

`fake_fleet` (a pytest fixture) starts the fakes on 127.0.0.1, points the real SDK clients at
them through the documented overrides (kubeconfig server, AWS_ENDPOINT_URL_EKS,
FLEET_INTENT_GKE_ENDPOINT / FLEET_INTENT_IAM_ENDPOINT, FLEET_INTENT_ARM_ENDPOINT over TLS with a
trustme CA), and fails the test if any fake saw a request it does not model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .providers import (
    AWS_KEY_ID,
    KUBE_TOKEN,
    Data,
    arm_error,
    arm_route,
    eks_error,
    eks_route,
    google_error,
    google_route,
    kube_route,
    kube_status,
)
from .server import FakeServer

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# One truth for snapshot and live tests: the fakes serve the compliant snapshot of the example.
COMPLIANT = REPO / "fixtures" / "snapshots" / "compliant"


@dataclass
class FakeFleet:
    """The running fakes, the data they serve and the kubeconfig that reaches them."""

    data: Path
    kube: FakeServer
    eks: FakeServer
    google: FakeServer
    arm: FakeServer
    kubeconfig: Path

    @property
    def servers(self) -> tuple[FakeServer, ...]:
        return (self.kube, self.eks, self.google, self.arm)

    def unexpected(self) -> list[str]:
        return [message for server in self.servers for message in server.unexpected]


def write_kubeconfig(path: Path, contexts: dict[str, str], server_url: str) -> None:
    """A kubeconfig with one context per (context name -> cluster) pair, static tokens."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": f"c-{i}", "cluster": {"server": f"{server_url}/k/{cluster}"}}
                     for i, cluster in enumerate(contexts.values())],
        "users": [{"name": f"u-{i}", "user": {"token": f"{KUBE_TOKEN}-{cluster}"}}
                  for i, cluster in enumerate(contexts.values())],
        "contexts": [{"name": name, "context": {"cluster": f"c-{i}", "user": f"u-{i}"}}
                     for i, name in enumerate(contexts)],
        "current-context": next(iter(contexts)),
    }
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML


def start_fleet(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, contexts: dict[str, str]) -> FakeFleet:
    """Start the fakes over `data_dir` and point every SDK at them (env via monkeypatch)."""
    import trustme

    data = Data(data_dir)
    ca = trustme.CA()
    ca_file = tmp_path / "fake-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    import ssl

    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)

    kube = FakeServer("kubernetes", kube_route(data), kube_status).start()
    eks = FakeServer("eks", eks_route(data), eks_error).start()
    google = FakeServer("google", google_route(data), google_error).start()
    holder: dict[str, FakeServer] = {}
    arm = FakeServer("arm", arm_route(data, lambda: holder["arm"].url), arm_error, ssl_context=server_context)
    holder["arm"] = arm.start()

    kubeconfig = tmp_path / "kubeconfig"
    write_kubeconfig(kubeconfig, contexts, kube.url)
    env = {
        "KUBECONFIG": str(kubeconfig),
        "AWS_ENDPOINT_URL_EKS": eks.url,
        "AWS_ACCESS_KEY_ID": AWS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": "fake-secret",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "FLEET_INTENT_GKE_ENDPOINT": google.url,
        "FLEET_INTENT_IAM_ENDPOINT": google.url,
        "GOOGLE_OAUTH_ACCESS_TOKEN": "fake-google-token",
        "FLEET_INTENT_ARM_ENDPOINT": arm.url,
        "FLEET_INTENT_ARM_ACCESS_TOKEN": "fake-arm-token",
        "REQUESTS_CA_BUNDLE": str(ca_file),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # Nothing from the host may steer a client elsewhere (or to the network).
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
                 "GOOGLE_APPLICATION_CREDENTIALS", "FLEET_INTENT_CRM_ENDPOINT", "HTTPS_PROXY", "HTTP_PROXY",
                 "https_proxy", "http_proxy", "ALL_PROXY", "all_proxy", "CURL_CA_BUNDLE", "CI"):
        monkeypatch.delenv(name, raising=False)
    return FakeFleet(data_dir, kube, eks, google, arm, kubeconfig)


def example_contexts(intent) -> dict[str, str]:
    """kubeconfig context -> cluster name for every cluster of an intent, each context named as
    the cloud's CLI names it (an EKS cluster ARN, gke_<project>_<location>_<name>) unless the
    intent names one: live reads must find those without help."""
    return {cluster.context_names[-1]: cluster.name for cluster in intent.clusters}


@pytest.fixture
def fake_fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loaded_example) -> Iterator[FakeFleet]:
    """The example fleet served by fakes over the compliant snapshot; fails on unexpected requests."""
    if not COMPLIANT.is_dir():
        pytest.skip(f"{COMPLIANT} (the data the fakes serve) does not exist")
    fleet = start_fleet(COMPLIANT, tmp_path, monkeypatch, example_contexts(loaded_example.intent))
    try:
        yield fleet
    finally:
        for server in fleet.servers:
            server.stop()
    assert not fleet.unexpected(), "fakes saw unexpected requests:\n" + "\n".join(fleet.unexpected())

