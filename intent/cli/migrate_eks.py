"""`fleet-intent migrate-eks`: what every aws-auth mapping of an EKS cluster becomes as access
entries, whether access after the move equals access before, and the steps in order
(docs/migrate-eks.md). The comparison itself is the EKS translator's (translators/eks/migrate.py),
loaded by name; this module reads the cluster, prints and picks the exit code."""

from __future__ import annotations

import json
from typing import Any

import click

from intent.cli.main import RunInfo, echo_warnings, intent_argument, load, now_option, select_clusters, state_source
from intent.errors import UsageError
from intent.safeio import printable


@click.command("migrate-eks")
@intent_argument
@click.option("--cluster", "cluster_name", required=True, metavar="NAME", help="The EKS cluster to move off aws-auth.")
@click.option("--snapshot", "snapshot_dir", metavar="DIR", type=click.Path(exists=True, file_okay=False),
              help="Read the cluster from a snapshot directory (DIR/<cluster>/...; layout in docs/live.md).")
@click.option("--live", is_flag=True, help="Read the cluster through the Kubernetes and EKS APIs.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Report format.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=20.0, show_default=True,
              help="Seconds reading the cluster may take, all calls and retries included (--live).")
@now_option
@click.pass_context
def command(ctx: click.Context, intent_path, cluster_name, snapshot_dir, live, fmt, timeout, now_text) -> None:
    """Report, for every aws-auth mapping of EKS cluster NAME, the access entry it becomes (with
    its access policies or Kubernetes groups, from INTENT), whether the principal's access after
    the move equals its access before, and the steps CONFIG_MAP -> API_AND_CONFIG_MAP -> API in
    order. Exit 0 when every mapping has its equivalent, 1 while one does not."""
    info: RunInfo = ctx.obj if isinstance(ctx.obj, RunInfo) else RunInfo()
    info.command = "migrate-eks"
    source = state_source(snapshot_dir, live, timeout=timeout, progress=False)
    if source is None:
        raise UsageError("nothing to read the cluster from: give --snapshot DIR or --live")
    loaded, now = load(intent_path, now_text, info)
    echo_warnings(loaded)
    from intent.observe.sources import CollectError
    from intent.plan import plan_fleet
    from intent.plugins import load_translator

    selected = select_clusters(loaded.intent, (cluster_name,))
    cluster = next(c for c in loaded.intent.clusters if c.name == cluster_name)
    if cluster.provider != "eks":
        raise UsageError(f"--cluster {cluster_name}: is a {cluster.provider} cluster in {intent_path}; "
                         "migrate-eks moves EKS clusters from aws-auth to access entries")
    plan = plan_fleet(loaded.intent, now, selected).clusters[0]
    info.clusters = [plan.name]
    ((_, documents),) = list(source.collect([plan]))
    try:
        if isinstance(documents, CollectError):
            raise documents
        report = load_translator("eks").migration(plan, documents)
    except CollectError as exc:
        raise UsageError(f"{cluster_name}: unreadable: {exc}") from None
    result = report.to_dict()
    info.counts = {"mappings": len(result["mappings"]), "blocking": len(result["blocking"])}
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(format_table(result), nl=False)
    ctx.exit(0 if result["equivalent"] else 1)


def format_table(report: dict[str, Any]) -> str:
    """The report as text: a verdict, each mapping with what it becomes, then the steps."""
    mode = report["authenticationMode"]
    mappings = report["mappings"]
    lines = [
        f"{report['cluster']} ({report['region']}): aws-auth -> access entries",
        f"authenticationMode: cluster {mode['cluster']}, intent {mode['intent']}",
    ]
    if report["equivalent"]:
        lines.append(f"EQUIVALENT: every aws-auth mapping ({len(mappings)}) has its access entry equivalent")
    else:
        lines.append(f"NOT EQUIVALENT: {len(report['blocking'])} of {len(mappings)} mapping(s) block the API-only step")
    lines += [f"note: {n}" for n in report["notes"]]
    for m in mappings:
        lines.append("")
        lines.append(f"{m['source']} {m['arn']}  [{m['kind']}]  {'equivalent' if m['equivalent'] else 'NOT EQUIVALENT'}")
        if m["username"] is not None or m["groups"]:
            lines.append(f"  aws-auth   username {m['username'] or '(none)'}, groups {', '.join(m['groups']) or '(none)'}")
        if m["becomes"]:
            lines.append(f"  becomes    {_entry_text(m['becomes'])}")
        if m["kind"] == "principal":
            if m["equivalent"]:
                lines.append(f"  access     {_grants(m['after'])} (before and after)")
            else:
                lines.append(f"  before     {_grants(m['before'])}")
                lines.append(f"  after      {_grants(m['after'])}")
                if m["lost"]:
                    lines.append(f"  LOST       {_grants(m['lost'])}")
                if m["gained"]:
                    lines.append(f"  GAINED     {_grants(m['gained'])}")
        lines += [f"  problem    {p}" for p in m["problems"]]
        lines += [f"  action     {a}" for a in m["actions"]]
        lines += [f"  note       {n}" for n in m["notes"]]
    if report["newPrincipals"]:
        lines += ["", "principals the intent grants that aws-auth does not map (their access entries are new access):"]
        lines += [f"  {p}" for p in report["newPrincipals"]]
    lines += ["", "steps (INTENT is your intent file):"]
    for step in report["steps"]:
        lines.append(f"  [{step['status']}] {step['number']}. {step['title']}")
        if step["status"] == "done":
            continue  # its commands are in the JSON report
        lines += [f"      $ {c}" if not c.startswith("set ") else f"      - {c}" for c in step["commands"]]
        if step["irreversible"]:
            lines.append(f"      IRREVERSIBLE: {step['irreversible']}")
    # ARNs, usernames and groups come from the cluster's aws-auth: no control character of
    # theirs reaches the terminal.
    return "\n".join(printable(line) for line in lines) + "\n"


def _grants(grants: list[dict[str, Any]]) -> str:
    if not grants:
        return "nothing"
    return ", ".join(f"{g['level']} in {g['namespace']}" if g["namespace"] else f"{g['level']} cluster-wide" for g in grants)


def _entry_text(entry: dict[str, Any]) -> str:
    parts = [f"{entry['type']} access entry {entry['principalArn']}"]
    if entry["type"] == "STANDARD":
        parts.append(f"username {entry['username']}")
        policies = [
            f"{p['policy']} ({'cluster' if p['scope'] == 'cluster' else ', '.join(p['namespaces'])})" for p in entry["accessPolicies"]
        ]
        parts.append("policies " + ("; ".join(policies) if policies else "none"))
        if entry["kubernetesGroups"]:
            parts.append(f"kubernetesGroups {', '.join(entry['kubernetesGroups'])}")
    parts.append("exists" if entry["exists"] else "not on the cluster yet")
    return ", ".join(parts)
