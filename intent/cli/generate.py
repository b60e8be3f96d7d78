"""`fleet-intent generate`: render the intent to Terraform under out/, or check out/ is current."""

from __future__ import annotations

import click

from intent.cli.main import RunInfo, audit_log_option, echo_warnings, intent_argument, load, now_option, select_clusters
from intent.progress import MIN_CLUSTERS, progress_bar, wanted


@click.command("generate")
@intent_argument
@click.option("-o", "--output", "output", default="out", show_default=True, metavar="DIR", type=click.Path(file_okay=False), help="Output directory.")
@click.option("--cluster", "clusters", multiple=True, metavar="NAME", help="Only this cluster (repeatable); other clusters' files are left as they are.")
@click.option("--check", is_flag=True, help="Write nothing; print a unified diff and exit 1 when DIR is stale.")
@now_option
@click.option("--templates", "templates_dir", metavar="DIR", type=click.Path(exists=True, file_okay=False), help="Directory of .tf.j2 templates searched before the built-in ones.")
@click.option("--sign-key", "sign_key", metavar="KEY", type=click.Path(dir_okay=False), help="Ed25519 private key (PEM): also write DIR/MANIFEST.json.sig.")
@audit_log_option
@click.pass_obj
def command(
    info: RunInfo,
    intent_path: str,
    output: str,
    clusters: tuple[str, ...],
    check: bool,
    now_text: str | None,
    templates_dir: str | None,
    sign_key: str | None,
) -> None:
    """Generate provider Terraform for INTENT into DIR (one root module per cluster)."""
    from intent.plan import plan_fleet, shared_federated_identities
    from intent.generate.render import make_environment, render_fleet
    from intent.generate.writer import check_output, write_output

    info.command = "generate"
    loaded, now = load(intent_path, now_text, info)
    echo_warnings(loaded)
    selected = select_clusters(loaded.intent, clusters)
    fleet = plan_fleet(loaded.intent, now, selected)
    info.clusters = [plan.name for plan in fleet.clusters]
    show = wanted() and len(fleet.clusters) >= MIN_CLUSTERS
    with progress_bar(show, len(fleet.clusters), "rendering") as advance:
        files = render_fleet(fleet, make_environment(templates_dir), advance)
    if check:
        result = check_output(output, files, loaded.sha256, selected)
        if result.stale:
            click.echo(result.diff, nl=False)
            leftovers = f", {len(result.leftovers)} leftover temporary file(s) of an interrupted run" if result.leftovers else ""
            click.echo(
                f"{output} is stale: {len(result.added)} added, {len(result.changed)} changed, "
                f"{len(result.removed)} removed{leftovers}; run `fleet-intent generate {intent_path} -o {output}`",
                err=True,
            )
            raise click.exceptions.Exit(1)
        click.echo(f"{output} is up to date ({len(fleet.clusters)} clusters, {len(files) + 1} files)", err=True)
        return
    if sign_key:
        from intent.evidence.signing import load_private_key, sign_output

        load_private_key(sign_key)  # a bad key fails before anything is written
    outcome = write_output(output, files, loaded.sha256, selected)
    if sign_key:
        sign_output(output, sign_key)
    click.echo(
        f"{output}: {len(fleet.clusters)} clusters: {len(outcome.written)} files written, "
        f"{len(outcome.removed)} removed, {len(outcome.unchanged)} unchanged",
        err=True,
    )
    if outcome.cleaned:
        click.echo(f"note: removed {len(outcome.cleaned)} leftover temporary file(s) of an interrupted run", err=True)
    for path in outcome.untracked:
        click.echo(
            f"warning: {output}/{path}: listed in MANIFEST.json but changed since fleet-intent wrote it; "
            "left in place and no longer tracked",
            err=True,
        )
    for folder in outcome.kept:
        click.echo(f"note: {output}/{folder} is no longer generated but holds files not written by fleet-intent; left in place", err=True)
    # Told once the roots are written, as what to know before applying them.
    for identity, roots in shared_federated_identities(fleet):
        click.echo(
            f"warning: managed identity {identity} is federated by the roots of clusters {', '.join(roots)}: apply "
            "them one after another, never at the same time (Entra rejects concurrent federated credential "
            "writes on one identity with 409; see docs/generate.md)",
            err=True,
        )
