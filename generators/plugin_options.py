"""French messages, with their line in mkdocs.yml, for the plugin's options.

MkDocs checks a plugin's options itself and says what went wrong in English,
without a line ("Expected type: <class 'bool'> but received: <class 'str'>").
``OptionMessages`` rewrites what it says about this plugin's options: the
option's full name, what it expects, the value it got, and the line of the
configuration file where it is written. ``EnglishPrefixFilter`` drops the
English words MkDocs puts in front ("Config value 'plugins': Plugin
'portail' option 'cache': ").

Of MkDocs, only ``mkdocs.config`` is imported here: this is the adapter's
side. ``mkdocs.yml`` is read by ``source.py``, like the content files.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from mkdocs.config import config_options as c
from mkdocs.config.base import Config

from .fields import closest_key
from .source import read_yaml_document

PLUGIN = "portail"
SUB_OPTION = re.compile(r"Sub-option '([^']*)': ")
UNKNOWN = re.compile(r"Unrecognised configuration name: (.*)$")
MKDOCS_PREFIX = re.compile(rf"^Config value 'plugins': Plugin '{PLUGIN}' option '[^']*': ")
TYPE_WORDS = {
    bool: "true ou false",
    int: "un nombre entier",
    str: "un texte",
    dict: "des clés avec leurs valeurs (clé: valeur)",
    list: "une liste",
}


def expected(option: c.BaseConfigOption) -> str | None:
    """What ``option`` accepts, in French; None if this does not know it."""
    own = getattr(option, "expected", None)
    if isinstance(own, str):
        return own
    if isinstance(option, c.Optional):
        return expected(option.option)
    if isinstance(option, c.Choice):
        quoted = [f"« {choice} »" for choice in option.choices]
        return " ou ".join(quoted) if len(quoted) < 3 else ", ".join(quoted[:-1]) + " ou " + quoted[-1]
    if isinstance(option, c.SubConfig):
        return TYPE_WORDS[dict]
    if isinstance(option, c.Type):
        kinds = option._type if isinstance(option._type, tuple) else (option._type,)
        words = [TYPE_WORDS.get(kind) for kind in kinds]
        return None if None in words else " ou ".join(words)
    return None


def shown(value: object) -> str:
    """A value as the editor wrote it in YAML."""
    if isinstance(value, bool):
        return "« true »" if value else "« false »"
    if value is None:
        return "une valeur vide"
    if isinstance(value, dict):
        return "des clés avec leurs valeurs"
    if isinstance(value, list):
        return "une liste"
    return f"« {value} »"


class OptionMessages:
    """French messages for the errors and warnings MkDocs found in
    ``options`` (the plugin's options as written) against ``schema``."""

    def __init__(self, schema: type[Config], options: dict, config_file: str | None) -> None:
        self.schema = schema
        self.options = options if isinstance(options, dict) else {}
        self.config_file = config_file
        self._lines: dict[tuple[str, ...], int] | None = None

    def error(self, key: str, message: str) -> str:
        path, rest = _path(key, message)
        option = self._option(path)
        wanted = expected(option) if option is not None else None
        if wanted is None:  # an option this does not describe: MkDocs' words, placed
            return self._located(path, rest)
        return self._located(path, f"valeur attendue : {wanted} (ici {shown(self._value(path))})")

    def warning(self, warning: str | tuple[str, str]) -> str | tuple[str, str]:
        if isinstance(warning, str):
            return warning
        key, message = warning
        path, rest = _path(key, message)
        unknown = UNKNOWN.match(rest)
        if unknown is None:
            return key, self._located(path, rest)
        known = [name for name, _ in self._schema_at(path[:-1])]
        guess = closest_key(path[-1], known)
        hint = f"vouliez-vous dire « {guess} » ?" if guess else "options possibles : " + ", ".join(sorted(known))
        return key, self._located(path, f"option inconnue ; {hint}")

    # -- where and what ---------------------------------------------------

    def _located(self, path: tuple[str, ...], text: str) -> str:
        name = Path(self.config_file).name if self.config_file else "mkdocs.yml"
        line = self._line(path)
        where = f"{name}:{line}" if line else name
        return f"{where}: {PLUGIN}.{'.'.join(path)} : {text}"

    def _schema_at(self, path: tuple[str, ...]) -> list[tuple[str, c.BaseConfigOption]]:
        schema = self.schema
        for name in path:
            option = dict(schema._schema).get(name)
            if not isinstance(option, c.SubConfig):
                return []
            schema = option.config_class
        return list(schema._schema)

    def _option(self, path: tuple[str, ...]) -> c.BaseConfigOption | None:
        return dict(self._schema_at(path[:-1])).get(path[-1])

    def _value(self, path: tuple[str, ...]) -> object:
        value: object = self.options
        for name in path:
            value = value.get(name) if isinstance(value, dict) else None
        return value

    def _line(self, path: tuple[str, ...]) -> int | None:
        """The line of the deepest key of ``path`` found under the plugin's
        entry in the configuration file (none if it is not there: INHERIT)."""
        if self._lines is None:
            self._lines = _option_lines(self.config_file)
        for end in range(len(path), 0, -1):
            if path[:end] in self._lines:
                return self._lines[path[:end]]
        return self._lines.get(())


def _path(key: str, message: str) -> tuple[tuple[str, ...], str]:
    """The option's path and the rest of MkDocs' message, from the
    "Sub-option 'x': " prefixes that nested options add."""
    path = [key]
    while found := SUB_OPTION.match(message):
        path.append(found.group(1))
        message = message[found.end():]
    return tuple(path), message


def _option_lines(config_file: str | None) -> dict[tuple[str, ...], int]:
    """Every key under the plugin's entry of ``plugins``, by path, with its
    line (1-based); ``()`` is the entry's own line. Read by ``source.py``,
    as the content files are: MkDocs' own tags need no constructor there."""
    if not config_file:
        return {}
    try:
        text = Path(config_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    document = read_yaml_document(text, Path(config_file).name)
    plugins = document.data.get("plugins") if isinstance(document.data, dict) else None
    if isinstance(plugins, dict):  # plugins: {portail: {...}}
        entry: tuple = ("plugins",)
    elif isinstance(plugins, list):  # plugins: [- portail, - portail: {...}]
        index = next((i for i, e in enumerate(plugins) if e == PLUGIN or isinstance(e, dict) and PLUGIN in e), None)
        if index is None:
            return {}
        entry = ("plugins", index)
    else:
        return {}
    top = entry + (PLUGIN,)
    lines = {path[len(top):]: line for path, (line, _) in document.positions.items() if path[: len(top)] == top}
    if not lines and entry in document.positions:  # "- portail", without options
        lines[()] = document.positions[entry][0]
    return lines


class EnglishPrefixFilter(logging.Filter):
    """Drops MkDocs' English prefix from its messages about this plugin's
    options, which ``OptionMessages`` wrote in French with their place."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        stripped = MKDOCS_PREFIX.sub("", message)
        if stripped != message:
            record.msg, record.args = stripped, ()
        return True
