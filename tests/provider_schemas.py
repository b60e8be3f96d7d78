"""Published Terraform provider schemas, and a check of generated HCL against them.

The schemas come from the CDK Terrain prebuilt provider packages on PyPI
(`cdktn-provider-<name>`): each wheel carries a jsii assembly (`.jsii`, JSON, inside
`_jsii/*.jsii.tgz`) that its maintainers generate from `terraform providers schema -json` of
one exact provider release, named in the assembly's readme and in every registry link. The
wheels are too heavy to install in CI (hundreds of MB of generated Python, minutes to
byte-compile), so `extract` keeps only what a schema check needs — per resource, data source
and provider configuration: argument names, required flags and nested blocks — and the
result is vendored under tests/schemas/terraform/ (tests/schemas/README.md says from which
wheel). The jsii runtime is never imported: the assembly is read as plain JSON.

    python tests/provider_schemas.py WHEEL...   # refresh the vendored extracts

`check_file` walks every `provider`, `resource` and `data` block of a parsed .tf file
(python-hcl2 output) whatever types it holds, so new blocks are checked as they appear.
"""

from __future__ import annotations

import io
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas" / "terraform"

# Every argument of a generated struct links to its registry page; the anchor is the
# argument's Terraform name (the camelCase property name may have been renamed to avoid a
# clash with a construct property).
_ARG_LINK = re.compile(r"\{@link https://registry\.terraform\.io/providers/[^/\s]+/[^/\s]+/[^/\s]+/docs[^\s#]*#([a-z0-9_]+) ")
_TYPE_LINK = re.compile(
    r"^Represents a \{@link https://registry\.terraform\.io/providers/([^/\s]+/[^/\s]+)/([^/\s]+)/docs(?:/([a-z-]+)/[^\s]+)? ([a-z0-9_]+)\}"
)
_KINDS = {"resources": "resources", "data-sources": "data_sources"}

# Terraform's own arguments, valid in any block of that kind whatever the provider says.
META_ARGUMENTS = {
    "resource": {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"},
    "data": {"count", "for_each", "depends_on", "provider", "lifecycle"},
    "provider": {"alias", "version"},
}
# Resource types that belong to no downloadable provider (Terraform's built-in one).
BUILTIN_TYPES = {"terraform_data", "terraform_remote_state"}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _struct_of(type_ref: dict, assembly: str) -> str | None:
    """The fqn of the assembly's struct a property holds (one, a list of them, or a union
    with IResolvable), or None for primitives, maps and lists of primitives."""
    if "fqn" in type_ref:
        return type_ref["fqn"] if type_ref["fqn"].startswith(assembly + ".") else None
    if "collection" in type_ref:
        return _struct_of(type_ref["collection"]["elementtype"], assembly) if type_ref["collection"]["kind"] == "array" else None
    if "union" in type_ref:
        found = [f for f in (_struct_of(t, assembly) for t in type_ref["union"]["types"]) if f]
        return found[0] if len(found) == 1 else None
    return None


def _block(types: dict, fqn: str, assembly: str, outer: tuple[str, ...] = ()) -> dict:
    """{"attributes": {name: required}, "blocks": {name: {"required": bool, "block": ...}}}
    of one generated config struct; nested object attributes keep their own schema under
    "objects". Where a struct contains itself (a few google types), the inner occurrence is
    marked "recursive" and what is written there is not checked."""
    if fqn in outer:
        return {"attributes": {}, "blocks": {}, "recursive": True}
    outer = (*outer, fqn)
    attributes: dict[str, bool] = {}
    blocks: dict[str, dict] = {}
    objects: dict[str, dict] = {}
    for prop in types[fqn].get("properties", []):
        docs = prop.get("docs", {})
        link = _ARG_LINK.search(docs.get("remarks", "") + " " + docs.get("summary", ""))
        name = link.group(1) if link else _snake(prop["name"])
        required = not prop.get("optional", False)
        nested = _struct_of(prop["type"], assembly)
        if nested and docs.get("summary", "").endswith(" block."):
            blocks[name] = {"required": required, "block": _block(types, nested, assembly, outer)}
        else:
            attributes[name] = required
            if nested:
                objects[name] = _block(types, nested, assembly, outer)
    out = {"attributes": dict(sorted(attributes.items())), "blocks": dict(sorted(blocks.items()))}
    if objects:
        out["objects"] = dict(sorted(objects.items()))
    return out


def extract(assembly_json: dict) -> dict:
    """The schema summary of one provider from its jsii assembly."""
    assembly = assembly_json["name"]
    types = assembly_json["types"]
    out: dict = {"provider": None, "version": None, "package": {"assembly": assembly, "version": assembly_json["version"]},
                 "provider_config": None, "resources": {}, "data_sources": {}}
    for item in types.values():
        match = _TYPE_LINK.match(item.get("docs", {}).get("summary", ""))
        if item.get("kind") != "class" or not match:
            continue
        source, version, kind, tf_type = match.groups()
        if out["version"] not in (None, version):
            raise ValueError(f"{assembly} describes two provider versions: {out['version']} and {version}")
        out["provider"], out["version"] = source, version
        config = item["initializer"]["parameters"][-1]["type"]["fqn"]
        if kind is None:
            out["provider_config"] = _block(types, config, assembly)
        elif kind in _KINDS:
            out[_KINDS[kind]][tf_type] = _block(types, config, assembly)
    if not out["provider_config"] or not out["resources"]:
        raise ValueError(f"{assembly} holds no provider schema")
    out["resources"] = dict(sorted(out["resources"].items()))
    out["data_sources"] = dict(sorted(out["data_sources"].items()))
    return out


def read_assembly(path: Path) -> dict:
    """The jsii assembly inside a provider wheel, an npm tarball or an installed package folder."""
    if path.is_dir():
        (tgz,) = path.glob("_jsii/*.jsii.tgz")
        return read_assembly(tgz)
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            (member,) = [n for n in wheel.namelist() if n.endswith(".jsii.tgz")]
            data = wheel.read(member)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            return json.load(tar.extractfile("package/.jsii"))
    with tarfile.open(path) as tar:
        return json.load(tar.extractfile("package/.jsii"))


def vendored_path(provider: str, version: str) -> Path:
    return SCHEMA_DIR / f"{provider}-{version}.json"


def write_extract(schema: dict) -> Path:
    """Write one extract, one type per line so a refresh shows as a readable diff."""
    path = vendored_path(schema["provider"].split("/")[1], schema["version"])
    path.parent.mkdir(parents=True, exist_ok=True)
    def dump(value) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))

    lines = ["{"]
    for key in ("provider", "version", "package", "provider_config"):
        lines.append(f"{json.dumps(key)}:{dump(schema[key])},")
    for group in ("data_sources", "resources"):
        entries = list(schema[group].items())
        lines.append(f"{json.dumps(group)}:{{")
        lines += [f"{json.dumps(k)}:{dump(v)}{',' if i < len(entries) - 1 else ''}" for i, (k, v) in enumerate(entries)]
        lines.append("}," if group == "data_sources" else "}")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def version_key(version: str) -> tuple[int, ...]:
    """`6.50.0` -> (6, 50, 0), so releases sort as numbers (6.50.0 before 7.46.1 before 10.0.0)."""
    return tuple(int(part) for part in version.split("."))


def vendored_versions(provider: str) -> list[str]:
    """The releases of a provider (`kubernetes`, `google`, `azurerm`) with a vendored
    extract, oldest first."""
    found = [path.stem.removeprefix(f"{provider}-") for path in SCHEMA_DIR.glob(f"{provider}-*.json")]
    return sorted(found, key=version_key)


def load_vendored(provider: str, version: str | None = None) -> dict:
    """The vendored extract of one release of a provider; without `version`, the newest."""
    version = version or vendored_versions(provider)[-1]
    return json.loads(vendored_path(provider, version).read_text(encoding="utf-8"))


# --- checking parsed HCL -------------------------------------------------------------------

def _name(label: str) -> str:
    return label[1:-1] if label.startswith('"') and label.endswith('"') else label


def _is_block(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and v.get("__is_block__") for v in value)


def check_body(body: dict, schema: dict, where: str, meta: set[str] = frozenset()) -> list[str]:
    """Problems of one block body against its schema: unknown arguments or blocks, an
    attribute written as a block or the reverse, required ones missing; nested blocks
    (`dynamic` ones included) are checked the same way."""
    problems: list[str] = []
    if schema.get("recursive"):
        return problems
    seen: set[str] = set()
    for key, value in body.items():
        if key == "__is_block__":
            continue
        if key == "dynamic":
            for item in value:
                for label, dyn in item.items():
                    name = _name(label)
                    seen.add(name)
                    if name not in schema["blocks"]:
                        problems.append(f"{where}: dynamic block {name!r} is no block of the schema")
                        continue
                    for content in dyn.get("content", []):
                        problems += check_body(content, schema["blocks"][name]["block"], f"{where}.{name}")
            continue
        seen.add(key)
        if key in meta:
            continue
        if key in schema["blocks"]:
            if not _is_block(value):
                problems.append(f"{where}: {key!r} is a block in the schema but written as an argument")
                continue
            for item in value:
                problems += check_body(item, schema["blocks"][key]["block"], f"{where}.{key}")
        elif key in schema["attributes"]:
            if _is_block(value):
                problems.append(f"{where}: {key!r} is an argument in the schema but written as a block")
            elif isinstance(value, dict) and key in schema.get("objects", {}):
                problems += check_body(value, schema["objects"][key], f"{where}.{key}")
        else:
            problems.append(f"{where}: {key!r} is not an argument or block of the schema")
    for name, required in schema["attributes"].items():
        if required and name not in seen:
            problems.append(f"{where}: required argument {name!r} is missing")
    for name, spec in schema["blocks"].items():
        if spec["required"] and name not in seen:
            problems.append(f"{where}: required block {name!r} is missing")
    return problems


def _provider_of(tf_type: str) -> str:
    return tf_type.split("_", 1)[0]


def check_file(parsed: dict, schemas: dict[str, dict], where: str, skip: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(problems, `kind.type` of each block checked) of one python-hcl2 parsed file.
    `schemas` maps a provider's local name to its extract; providers in `skip` are checked
    elsewhere."""
    problems: list[str] = []
    checked: list[str] = []

    def one(kind: str, tf_type: str, name: str, body: dict) -> None:
        provider = tf_type if kind == "provider" else _provider_of(tf_type)
        if tf_type in BUILTIN_TYPES or provider in skip:
            return
        address = f"{where}:{kind}.{tf_type}" + (f".{name}" if name else "")
        if provider not in schemas:
            problems.append(f"{address}: no published schema vendored for provider {provider!r}")
            return
        schema = schemas[provider]
        if kind == "provider":
            block = schema["provider_config"]
        else:
            block = schema["resources" if kind == "resource" else "data_sources"].get(tf_type)
            if block is None:
                problems.append(f"{address}: hashicorp/{provider} {schema['version']} has no {kind} type {tf_type!r}")
                return
        checked.append(f"{kind}.{tf_type}")
        problems.extend(check_body(body, block, address, META_ARGUMENTS[kind]))

    for item in parsed.get("provider", []):
        for label, body in item.items():
            one("provider", _name(label), "", body)
    for kind in ("resource", "data"):
        for item in parsed.get(kind, []):
            for tf_type, named in item.items():
                for name, body in named.items():
                    if name == "__is_block__":
                        continue
                    one(kind, _name(tf_type), _name(name), body)
    return problems, checked


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python tests/provider_schemas.py WHEEL_OR_TGZ_OR_PACKAGE_DIR...")
    for argument in sys.argv[1:]:
        summary = extract(read_assembly(Path(argument)))
        print(f"{write_extract(summary)}: {summary['provider']} {summary['version']} "
              f"({len(summary['resources'])} resources, {len(summary['data_sources'])} data sources)")
