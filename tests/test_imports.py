"""Importing any module has no side effects: no output, no network, no cloud SDK loaded."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT

SCRIPT = r"""
import importlib, pkgutil, socket, sys

def refuse(*args, **kwargs):
    raise AssertionError("network use at import time")

socket.socket.connect = refuse
socket.create_connection = refuse
names = []
for package in ("intent", "translators", "templates"):
    module = importlib.import_module(package)
    names.append(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        importlib.import_module(info.name)
        names.append(info.name)
sdks = [m for m in ("boto3", "botocore", "kubernetes", "google.cloud.container_v1", "google.cloud.iam_admin_v1",
                    "azure.mgmt.containerservice", "azure.identity") if m in sys.modules]
print(len(names), ",".join(sdks))
"""


def test_every_module_imports_quietly_without_sdks():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    count, sdks = result.stdout.strip().split(" ") if " " in result.stdout.strip() else (result.stdout.strip(), "")
    assert int(count) > 40
    # live.py modules import their SDK inside functions only.
    assert sdks == ""
