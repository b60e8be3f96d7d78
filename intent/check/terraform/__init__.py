"""Checking users' own Terraform templates against the intent (FI-TF-* rules, SPEC §8)."""

from __future__ import annotations

from intent.check.terraform.scan import scan_terraform

__all__ = ["scan_terraform"]
