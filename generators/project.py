"""Find the project: its root, ``mkdocs.yml`` and the declaration it names."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_DECLARATION = "config/types.yml"


class _TolerantLoader(yaml.SafeLoader):
    """Reads mkdocs.yml while ignoring its ``!!python/name`` and ``!ENV`` tags."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_TolerantLoader.add_multi_constructor("", _ignore_tag)


@dataclass(frozen=True, slots=True)
class Project:
    root: Path
    mkdocs_yml: Path
    declaration_path: Path
    plugin_options: dict


def find_project(start: Path | None = None, config: Path | None = None) -> Project:
    """The project around ``start`` (or the one whose mkdocs.yml is ``config``)."""
    if config is None:
        here = (start or Path.cwd()).resolve()
        for candidate in (here, *here.parents):
            if (candidate / "mkdocs.yml").is_file():
                config = candidate / "mkdocs.yml"
                break
        else:
            raise FileNotFoundError("aucun fichier mkdocs.yml trouvé dans ce dossier ni au-dessus")
    config = config.resolve()
    root = config.parent
    options = plugin_options(config)
    declaration = root / str(options.get("declaration", DEFAULT_DECLARATION))
    return Project(root=root, mkdocs_yml=config, declaration_path=declaration, plugin_options=options)


def plugin_options(config: Path) -> dict:
    """The ``portail`` plugin's options as written in mkdocs.yml."""
    data = yaml.load(config.read_text(encoding="utf-8"), Loader=_TolerantLoader) or {}
    for plugin in data.get("plugins") or []:
        if isinstance(plugin, dict) and "portail" in plugin:
            return plugin["portail"] or {}
    return {}


def site_url(project: Project) -> str:
    """The ``site_url`` of mkdocs.yml ("" when not set)."""
    data = yaml.load(project.mkdocs_yml.read_text(encoding="utf-8"), Loader=_TolerantLoader) or {}
    return str(data.get("site_url") or "")
