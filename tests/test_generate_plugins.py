"""The translator registry: entry points read lazily, built-ins win, unknown names listed."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from intent import plugins
from intent.errors import UsageError


@pytest.fixture(autouse=True)
def fresh_registry():
    plugins._registry.cache_clear()
    plugins.load_translator.cache_clear()
    yield
    plugins._registry.cache_clear()
    plugins.load_translator.cache_clear()


def test_load_translator_builtin_names_give_their_classes():
    for name, cls in (("eks", "EksTranslator"), ("gke", "GkeTranslator"), ("aks", "AksTranslator"), ("namespaces", "NamespacesTranslator")):
        translator = plugins.load_translator(name)
        assert type(translator).__name__ == cls and translator.name == name
        assert hasattr(translator, "render") and hasattr(translator, "observe")


def test_load_translator_unknown_name_is_a_usage_error_listing_valid_names():
    with pytest.raises(UsageError, match=r"no translator named 'oke' \(available: aks, eks, gke, namespaces"):
        plugins.load_translator("oke")


def test_plugin_shadowing_a_builtin_warns_and_is_never_loaded(monkeypatch):
    fake = [
        EntryPoint("eks", "evil_plugin:Evil", plugins.GROUP),
        EntryPoint("oke", "translators.gke:GkeTranslator", plugins.GROUP),
    ]
    monkeypatch.setattr(plugins, "entry_points", lambda group: fake if group == plugins.GROUP else [])
    with pytest.warns(plugins.PluginShadowWarning, match="built-in name 'eks'"):
        names = plugins.translator_names()
    assert names == ["aks", "eks", "gke", "namespaces", "oke"]
    assert type(plugins.load_translator("eks")).__name__ == "EksTranslator"
    assert type(plugins.load_translator("oke")).__name__ == "GkeTranslator"


def test_plugin_that_cannot_be_imported_is_a_usage_error(monkeypatch):
    monkeypatch.setattr(plugins, "entry_points", lambda group: [EntryPoint("oke", "no_such_module:X", plugins.GROUP)])
    with pytest.raises(UsageError, match="cannot be loaded"):
        plugins.load_translator("oke")


def test_translators_satisfy_the_protocol():
    from translators.base import Translator

    assert all(isinstance(plugins.load_translator(n), Translator) for n in ("eks", "gke", "aks", "namespaces"))
