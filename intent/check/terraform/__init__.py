"""Checking users' own Terraform templates against the intent (FI-TF-* rules, SPEC §8).

May import: the `intent` root, `intent.observe.observed` (the same principal and aws-auth
rules the live check uses) and `intent.check.findings`.
"""

from __future__ import annotations

from intent.check.terraform.scan import scan_terraform

__all__ = ["scan_terraform"]
