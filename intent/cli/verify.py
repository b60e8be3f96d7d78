"""`fleet-intent verify DIR --public-key PUB`: check a signed output directory (SPEC §10)."""

from __future__ import annotations

import click


@click.command("verify")
@click.argument("out_dir", metavar="DIR")
@click.option(
    "--public-key",
    "public_key",
    required=True,
    metavar="PUB",
    help="Ed25519 public key (PEM), e.g. from `openssl pkey -in key.pem -pubout -out pub.pem`.",
)
def command(out_dir: str, public_key: str) -> int:
    """Verify DIR's MANIFEST.json signature and every file's sha256.

    Exits 0 when verified, 1 naming each file added, removed or changed (or a signature that
    does not match), 2 when DIR or the key cannot be used.
    """
    from intent.evidence.signing import MANIFEST, manifest_files, verify_output

    problems = verify_output(out_dir, public_key)
    if problems:
        for problem in problems:
            click.echo(problem)
        click.echo(f"{out_dir}: verification failed ({len(problems)} problem(s))", err=True)
        return 1
    import json
    import os

    with open(os.path.join(out_dir, MANIFEST), "rb") as handle:
        count = len(manifest_files(json.loads(handle.read().decode("utf-8"))))
    click.echo(f"verified {count} files")
    return 0
