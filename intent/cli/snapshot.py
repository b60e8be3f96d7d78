"""`fleet-intent snapshot INTENT --live -o DIR`: dump what the live APIs say, in the snapshot layout."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import click

from intent.cli.main import RunInfo, echo_warnings, intent_argument, load, now_option, select_clusters
from intent.errors import OutputError, UsageError
from intent.progress import wanted


def write_cluster(out_dir: Path, cluster: str, documents: dict[str, Any]) -> None:
    """Replace `out_dir/<cluster>/` with `documents` (JSON, indent 2, sorted keys), atomically.

    The whole directory is swapped so that a document that no longer exists on the cluster
    (aws-auth removed, a service account dropped from the intent) leaves no stale file behind.
    """
    target = out_dir / cluster
    staging = Path(tempfile.mkdtemp(prefix=f".{cluster}.", suffix=".new", dir=out_dir))
    try:
        for relative, value in sorted(documents.items()):
            path = PurePosixPath(relative)
            if path.is_absolute() or ".." in path.parts or not path.parts:
                raise OutputError(f"{cluster}: refusing to write document {relative!r} outside {target}")
            file = staging.joinpath(*path.parts)
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{cluster}.", suffix=".old", dir=out_dir))
            target.rename(old / "dump")
        staging.rename(target)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def drop_cluster(out_dir: Path, cluster: str) -> bool:
    """Remove an earlier dump of a cluster that could not be read now; True if there was one.

    A stale dump would let a later `check --snapshot` pass on old data instead of reporting the
    cluster unreadable (FI-COLLECT-001).
    """
    target = out_dir / cluster
    if target.is_dir():
        shutil.rmtree(target)
        return True
    return False


@click.command("snapshot")
@intent_argument
@click.option("--live", is_flag=True, help="Read the clusters through their live APIs (required).")
@click.option("-o", "--output", "output", required=True, metavar="DIR", type=click.Path(file_okay=False),
              help="Directory to write DIR/<cluster>/... into (created if missing).")
@click.option("--cluster", "clusters", multiple=True, metavar="NAME", help="Only this cluster (repeatable).")
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="Clusters read at the same time.")
@click.option("--timeout", default=20.0, show_default=True, type=click.FloatRange(min=0, min_open=True), metavar="S",
              help="Seconds one cluster may take, retries included.")
@now_option
@click.pass_obj
def command(
    info: RunInfo,
    intent_path: str,
    live: bool,
    output: str,
    clusters: tuple[str, ...],
    concurrency: int,
    timeout: float,
    now_text: str | None,
) -> int:
    """Read each cluster's live state and write it in the snapshot layout under DIR.

    `check --snapshot DIR` reads the result offline. Exits 0 when every cluster was read, 1 when
    any could not be (one line per cluster on stderr, and its old dump removed), 2 on bad input.
    """
    from intent.observe.collect import LiveSource
    from intent.plan import plan_fleet

    info.command = "snapshot"
    if not live:
        raise UsageError("snapshot reads live clusters only: pass --live")
    loaded, now = load(intent_path, now_text, info)
    echo_warnings(loaded)
    fleet = plan_fleet(loaded.intent, now, select_clusters(loaded.intent, clusters))
    info.clusters = [plan.name for plan in fleet.clusters]

    out_dir = Path(output)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{output}: cannot create the output directory: {exc.strerror or exc}") from None

    source = LiveSource(concurrency=concurrency, timeout=timeout, progress=wanted())
    failed: list[str] = []
    written = 0
    for plan, result in source.collect(fleet.clusters):
        if isinstance(result, Exception):
            failed.append(plan.name)
            dropped = " (its earlier dump was removed)" if drop_cluster(out_dir, plan.name) else ""
            click.echo(f"{plan.name}: unreadable: {result}{dropped}", err=True)
            continue
        try:
            write_cluster(out_dir, plan.name, result)
        except OSError as exc:
            raise OutputError(f"{out_dir / plan.name}: cannot write the snapshot: {exc.strerror or exc}") from None
        written += 1
    click.echo(f"{out_dir}: wrote {written} cluster(s), {len(failed)} unreadable", err=True)
    return 1 if failed else 0
