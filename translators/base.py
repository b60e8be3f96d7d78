"""The translator plugin interface and the rendered-file value it returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

from jinja2 import Environment

from intent.plan import ClusterPlan


@dataclass(frozen=True, slots=True)
class RenderedFile:
    """One generated file: `path` relative to the output directory (POSIX), and its text."""

    path: str
    text: str


@runtime_checkable
class Translator(Protocol):
    """A provider plugin: renders a cluster's plan and reads its live state back.

    `render` is pure (plan in, files out, nothing written). A translator that also emits
    fleet-wide files (the namespaces module) defines `render_shared(env)` as well.
    """

    name: ClassVar[str]

    def render(self, plan: ClusterPlan, env: Environment) -> list[RenderedFile]:
        """The files of `plan`'s cluster root that this translator owns."""
        ...

    def observe(self, plan: ClusterPlan, documents: Any) -> Any:
        """The cluster's observed state from its snapshot documents."""
        ...
