"""The one Jinja2 environment that renders Terraform, and the HCL escaping it relies on.

Escaping contract: the environment's `finalize` hook turns the value of EVERY `{{ }}` in a
`.tf.j2` template into an HCL literal: strings become quoted strings with `"`, `\\`, control
characters, `${` and `%{` escaped, numbers and booleans become number and bool literals, lists
become tuples. Only an `HclRaw` value, built in code (identifiers, references, or whole
expressions whose every leaf was escaped by `hcl_expr`), passes through unchanged. No intent
value can therefore inject Terraform syntax, whatever the template does with it.
"""

from __future__ import annotations

import enum
import functools
import importlib
import importlib.resources
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2

from intent.errors import FleetIntentError

TEMPLATE_PACKAGE = "templates"
INDENT = "  "
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class RenderError(FleetIntentError):
    """A template failed to render; the message names template:line and the cluster."""


class HclRaw(str):
    """HCL source built in code that `hcl_escape` emits verbatim (never intent text)."""

    __slots__ = ()


class Attrs(dict):
    """An HCL object whose keys are bare identifiers (schema names, not data)."""


# Printable ASCII other than `"` and `\`: needs no escape unless it opens `${` or `%{`.
_PLAIN = re.compile(r'[ !#-\[\]-~]*')
_SPECIAL = re.compile(r'[\\"]|[$%]\{|[^ -~]')
_SIMPLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


@functools.lru_cache(maxsize=1 << 16)
def hcl_string(text: str) -> str:
    """`text` as a quoted HCL string literal that evaluates back to exactly `text`."""
    if _PLAIN.fullmatch(text) and "{" not in text:
        return f'"{text}"'

    def escape(match: re.Match) -> str:
        token = match.group()
        if token in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[token]
        if len(token) == 2:
            if "}" in text[match.end() :]:
                # HCL's own escapes for a literal `${` / `%{`: `$${` and `%%{`.
                return token[0] + token
            # Unclosed: python-hcl2 only lexes `$${`/`%%{` up to a closing `}`, so spell the
            # brace as a unicode escape, which HCL decodes after template scanning.
            return token[0] + "\\u007B"
        if not _needs_unicode_escape(token):
            return token
        code = ord(token)
        return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"

    return '"' + _SPECIAL.sub(escape, text) + '"'


def _needs_unicode_escape(ch: str) -> bool:
    # Control, format, separator (other than space), surrogate and unassigned characters are
    # invisible or break lines in editors and diffs; emit them as escapes.
    return unicodedata.category(ch)[0] in "CZ"


def hcl_escape(value: Any) -> str:
    """The HCL literal of `value` (the environment's `finalize`); `HclRaw` passes unchanged."""
    kind = type(value)
    if kind is str:
        return hcl_string(value)
    if kind is HclRaw:
        return value
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises here, naming the missing variable
        raise ValueError("undefined value in template")
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no HCL literal")
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(hcl_escape(item) for item in value) + "]"
    if isinstance(value, Mapping):
        raise TypeError("a mapping has no one-line HCL form here; render it with the `hcl` filter")
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


def hcl_expr(value: Any, indent: int = 0) -> HclRaw:
    """`value` as a `terraform fmt`-clean HCL expression starting at nesting level `indent`.

    Mappings become multi-line objects whose `=` signs are aligned the way `terraform fmt`
    aligns consecutive one-line attributes; lists of mappings become multi-line tuples; every
    leaf goes through `hcl_escape`.
    """
    if isinstance(value, Mapping):
        if not value:
            return HclRaw("{}")
        pad = INDENT * (indent + 1)
        bare = isinstance(value, Attrs)
        lines: list[str] = []
        chain: list[tuple[str, str]] = []

        def flush() -> None:
            width = max((len(k) for k, _ in chain), default=0)
            lines.extend(f"{pad}{k.ljust(width)} = {v}" for k, v in chain)
            chain.clear()

        for key, item in value.items():
            name = str(key) if bare else hcl_string(str(key))
            if bare and not _IDENT.fullmatch(name):
                raise ValueError(f"{name!r} is not an HCL identifier")
            text = hcl_expr(item, indent + 1)
            if "\n" in text:
                # A multi-line value ends the run of aligned attributes (as in terraform fmt).
                flush()
                lines.append(f"{pad}{name} = {text}")
            else:
                chain.append((name, text))
        flush()
        return HclRaw("{\n" + "\n".join(lines) + "\n" + INDENT * indent + "}")
    if isinstance(value, (list, tuple)) and any(isinstance(item, Mapping) for item in value):
        pad = INDENT * (indent + 1)
        items = [f"{pad}{hcl_expr(item, indent + 1)}," for item in value]
        return HclRaw("[\n" + "\n".join(items) + "\n" + INDENT * indent + "]")
    return HclRaw(hcl_escape(value))


def hcl_ident(value: str) -> HclRaw:
    """`value` checked to be an HCL identifier (a resource name), for use unquoted."""
    if not isinstance(value, str) or not _IDENT.fullmatch(value):
        raise ValueError(f"{value!r} is not an HCL identifier")
    return HclRaw(value)


class ResourceLoader(jinja2.BaseLoader):
    """Loads templates from the installed `templates` package via importlib.resources."""

    def __init__(self, package: str = TEMPLATE_PACKAGE) -> None:
        self.package = package

    def get_source(self, environment: jinja2.Environment, template: str):
        parts = [p for p in template.split("/") if p]
        if not parts or any(p in (".", "..") for p in parts):
            raise jinja2.TemplateNotFound(template)
        node = _package_root(self.package).joinpath(*parts)
        if not node.is_file():
            raise jinja2.TemplateNotFound(template)
        source = node.read_text(encoding="utf-8")
        return source, f"{self.package}/{template}", lambda: True

    def list_templates(self) -> list[str]:
        found: list[str] = []

        def walk(node, prefix: str) -> None:
            for child in node.iterdir():
                if child.is_dir():
                    walk(child, f"{prefix}{child.name}/")
                elif child.name.endswith(".j2"):
                    found.append(prefix + child.name)

        walk(_package_root(self.package), "")
        return sorted(found)


def _package_root(package: str):
    """The package's resource root; a namespace package (as some editable installs leave
    `templates`) falls back to its first directory on `__path__`."""
    try:
        return importlib.resources.files(package)
    except (NotADirectoryError, TypeError):
        module = importlib.import_module(package)
        for entry in getattr(module, "__path__", []):
            if Path(entry).is_dir():
                return Path(entry)
        raise


def make_environment(override_dir: str | Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment for every template (user override directory searched first)."""
    loaders: list[jinja2.BaseLoader] = []
    if override_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(override_dir)))
    loaders.append(ResourceLoader())
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        finalize=hcl_escape,
    )
    env.filters["hcl"] = hcl_expr
    env.filters["ident"] = hcl_ident
    env.filters["label"] = lambda v: HclRaw(hcl_string(hcl_ident(v)))
    env.filters["hcl_string"] = lambda v: HclRaw(hcl_string(str(v)))
    return env


def render_template(env: jinja2.Environment, name: str, cluster_name: str | None, /, **context: Any) -> str:
    """Render template `name`; any failure becomes a RenderError naming template:line and cluster."""
    where = f"cluster {cluster_name}" if cluster_name else "shared output"
    try:
        template = env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"{exc.filename or exc.name or name}:{exc.lineno}: {where}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"{name}: {where}: template not found ({exc.message})") from None
    try:
        return template.render(**context)
    except Exception as exc:  # noqa: BLE001 - every template failure must name its line
        line = _template_line(template, exc)
        raise RenderError(f"{template.filename or name}:{line}: {where}: {type(exc).__name__}: {exc}") from None


def render_cached(env: jinja2.Environment, name: str, cluster_name: str | None, /, **context: Any) -> str:
    """`render_template` memoised on (environment, template, context); context values must be
    hashable. Used for blocks that recur unchanged on many clusters (RBAC bindings)."""
    try:
        return _render_cached(env, name, tuple(sorted(context.items())))
    except Exception:  # noqa: BLE001 - re-render uncached for an error that names the cluster
        return render_template(env, name, cluster_name, **context)


@functools.lru_cache(maxsize=1 << 15)
def _render_cached(env: jinja2.Environment, name: str, context: tuple) -> str:
    return env.get_template(name).render(**dict(context))


def _template_line(template: jinja2.Template, exc: BaseException) -> int | str:
    # Jinja rewrites tracebacks so the template's frames carry its file name and line.
    tb = exc.__traceback__
    line: int | str = "?"
    filename = template.filename
    while tb is not None:
        if filename and tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line == "?":
        # Not yet rewritten: map the compiled module's line back through the debug info.
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_globals.get("__jinja_template__") is template:
                line = template.get_corresponding_lineno(tb.tb_lineno)
            tb = tb.tb_next
    return line


# A block header as the templates write it: labels are plain identifiers (the `label` filter).
_BLOCK_HEADER = re.compile(r'^(resource|data|module|variable|output) "([^"]+)"(?: "([^"]+)")? \{', re.MULTILINE)


def _claim_blocks(seen: dict[tuple[str, ...], str], path: str, text: str) -> None:
    # Terraform would refuse two blocks of one address in a module only at plan time, after
    # the output was written and committed; stop here instead (exit 2, nothing written).
    for match in _BLOCK_HEADER.finditer(text):
        key = tuple(part for part in match.groups() if part)
        if key in seen:
            raise RenderError(f"{path}: {' '.join(key)} is declared twice in one module (also in {seen[key]})")
        seen[key] = path


def render_fleet(fleet, env: jinja2.Environment, on_cluster: Callable[[str], None] | None = None) -> dict[str, str]:
    """Every generated file of `fleet` (a FleetPlan), path -> text, sorted by path.

    The shared namespaces module comes from the `namespaces` translator's `render_shared`;
    each cluster gets its provider translator's files and its namespaces module call.
    `on_cluster` is called with each cluster's name once it is rendered (progress display).
    """
    from intent.plugins import load_translator

    files: dict[str, str] = {}
    blocks: dict[str, dict[tuple[str, ...], str]] = {}

    def add(rendered, owner: str) -> None:
        for item in rendered:
            if item.path in files:
                raise RenderError(f"{owner}: two translators render {item.path}")
            files[item.path] = item.text
            if item.path.endswith(".tf"):
                _claim_blocks(blocks.setdefault(item.path.rsplit("/", 1)[0], {}), item.path, item.text)

    namespaces = load_translator("namespaces")
    add(namespaces.render_shared(env), "namespaces")
    for plan in fleet.clusters:
        add(load_translator(plan.provider).render(plan, env), f"cluster {plan.name}")
        add(namespaces.render(plan, env), f"cluster {plan.name}")
        if on_cluster is not None:
            on_cluster(plan.name)
    return dict(sorted(files.items()))
