"""The translator registry: the `fleet_intent.translators` entry points, read lazily by name.

fleet-intent declares its own translators as entry points too, so built-ins and third-party
plugins are found the same way. A plugin whose name shadows a built-in is never loaded.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from importlib.metadata import EntryPoint, entry_points

from intent.errors import UsageError

GROUP = "fleet_intent.translators"
BUILTINS = {
    "eks": "translators.eks:EksTranslator",
    "gke": "translators.gke:GkeTranslator",
    "aks": "translators.aks:AksTranslator",
    "namespaces": "translators.namespaces:NamespacesTranslator",
}


class PluginShadowWarning(UserWarning):
    """A plugin registered a name that a built-in translator already uses."""


@functools.cache
def _registry() -> dict[str, str]:
    """Name -> `module:Class` of every translator; built-ins win a name clash."""
    found: dict[str, str] = dict(BUILTINS)
    for ep in sorted(entry_points(group=GROUP), key=lambda e: (e.name, e.value)):
        _add(found, ep)
    return found


def _add(found: dict[str, str], ep: EntryPoint) -> None:
    if ep.name in BUILTINS:
        if ep.value != BUILTINS[ep.name]:
            warnings.warn(
                f"translator plugin {ep.value!r} (distribution {_dist(ep)}) uses the built-in name "
                f"{ep.name!r}; the built-in {BUILTINS[ep.name]!r} is used and the plugin is not loaded",
                PluginShadowWarning,
                stacklevel=3,
            )
        return
    found.setdefault(ep.name, ep.value)


def _dist(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) or "unknown"


def translator_names() -> list[str]:
    """Every available translator name, sorted."""
    return sorted(_registry())


@functools.cache
def load_translator(name: str):
    """An instance of the translator registered as `name`; UsageError listing the valid names."""
    registry = _registry()
    if name not in registry:
        raise UsageError(f"no translator named {name!r} (available: {', '.join(sorted(registry))})")
    module_name, _, attr = registry[name].partition(":")
    try:
        module = importlib.import_module(module_name)
        cls = module
        for part in attr.split("."):
            cls = getattr(cls, part)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"translator {name!r} ({registry[name]}) cannot be loaded: {exc}") from None
    return cls()
