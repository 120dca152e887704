"""Read a content file: bytes -> text -> front matter block -> raw values.

This is the only place that parses editors' YAML. It composes the YAML into
nodes instead of constructing Python objects, so that:

* every key and list item keeps its line and column;
* duplicate keys are reported (PyYAML silently keeps the last one);
* no scalar is typed by YAML's own rules: ``0389353570`` keeps its leading
  zero, ``non`` stays the word "non", ``2016-03-21`` stays text. Scalars are
  typed later by the field that receives them (see ``fields.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .problems import Problem, make_problem

try:  # libyaml's parser is ~10x faster; the pure one gives the same nodes.
    from yaml import CSafeLoader as _BaseLoader

    _C_READER = True
except ImportError:  # pragma: no cover - depends on the wheel
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

    _C_READER = False


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Composes nodes without resolving implicit tags: scalars are typed by
    the field that receives them, so YAML's own guesses are never used."""

    def resolve(self, kind, value, implicit):  # noqa: D401 - PyYAML hook
        return "tag:yaml.org,2002:str" if kind is yaml.ScalarNode else (
            "tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map"
        )

BOM = "\ufeff"
NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})

# A path inside the front matter: ("referent", "telephone"), ("thematiques", 2)
FieldPath = tuple[str | int, ...]


@dataclass(slots=True)
class RawEntry:
    """A content file as read from disk, before any validation."""

    path: Path  # absolute
    rel: str  # posix path relative to the repository root, used in messages
    data: dict | None  # the front matter as plain str / None / list / dict
    body: str  # Markdown after the front matter
    body_line: int  # line number of the body's first line in the file
    positions: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def position(self, path: FieldPath) -> tuple[int, int]:
        """Line and column of the deepest known part of ``path`` (1-based)."""
        for end in range(len(path), 0, -1):
            found = self.positions.get(path[:end])
            if found:
                return found
        return (1, 1)


def read_entry(path: Path, root: Path, raw: bytes | None = None) -> RawEntry:
    """Read one file (or take its bytes, ``raw``, already read); problems
    are recorded on the entry, never raised."""
    rel = _relative(path, root)
    entry = RawEntry(path=path, rel=rel, data=None, body="", body_line=1)
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as error:
            entry.problems.append(make_problem("config_error", file=rel, detail=str(error)))
            return entry
    parse_bytes(raw, entry)
    return entry


def parse_bytes(raw: bytes, entry: RawEntry) -> None:
    """Fill ``entry`` from the file's bytes."""
    rel = entry.rel
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, error.start) + 1
        column = len(raw[line_start : error.start].decode("utf-8", errors="replace")) + 1
        entry.problems.append(make_problem("not_utf8", file=rel, line=line, column=column, position=error.start))
        return
    if text.startswith(BOM):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        entry.problems.append(make_problem("empty_file", file=rel))
        return

    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        entry.problems.append(make_problem("no_frontmatter", file=rel))
        return
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if closing is None:
        entry.problems.append(make_problem("unclosed_frontmatter", file=rel))
        return

    front = "\n".join(lines[1:closing])
    entry.body = "\n".join(lines[closing + 1 :])
    entry.body_line = closing + 2
    _parse_front_matter(front, entry, line_offset=1)


def _parse_front_matter(front: str, entry: RawEntry, line_offset: int) -> None:
    rel = entry.rel
    try:
        node = yaml.compose(front, Loader=_Loader)
    except yaml.reader.ReaderError as error:
        # libyaml counts bytes of UTF-8, the pure reader characters.
        offset = len(front.encode("utf-8")[: error.position].decode("utf-8", errors="ignore")) if _C_READER else error.position
        line = front.count("\n", 0, offset) + 1 + line_offset
        column = offset - (front.rfind("\n", 0, offset) + 1) + 1
        detail = f"caractère invisible interdit (U+{error.character:04X})" if isinstance(error.character, int) else "caractère interdit"
        hint = "supprimez ce caractère, souvent collé depuis un traitement de texte"
        entry.problems.append(make_problem("yaml_syntax", file=rel, line=line, column=column, detail=detail, hint=hint))
        return
    except yaml.MarkedYAMLError as error:
        mark = _error_mark(error)
        line = (mark.line + 1 + line_offset) if mark else 1
        column = (mark.column + 1) if mark else 1
        offending = front.split("\n")[mark.line] if mark and mark.line < front.count("\n") + 1 else ""
        detail, hint = _explain_yaml_error(error, offending, mark.column if mark else 0)
        entry.problems.append(make_problem("yaml_syntax", file=rel, line=line, column=column, detail=detail, hint=hint))
        return
    except yaml.YAMLError:  # pragma: no cover - errors without marks
        entry.problems.append(
            make_problem("yaml_syntax", file=rel, detail="structure illisible", hint="vérifiez l'indentation et les guillemets")
        )
        return
    if node is None:
        entry.data = {}
        return
    if not isinstance(node, yaml.MappingNode):
        line, column = node.start_mark.line + 1 + line_offset, node.start_mark.column + 1
        entry.problems.append(make_problem("not_a_mapping", file=rel, line=line, column=column))
        return
    converter = _NodeConverter(entry, line_offset)
    entry.data = converter.mapping(node, ())


def read_yaml_document(text: str, rel: str) -> RawEntry:
    """A YAML file that is not a content file (``mkdocs.yml``), read the same
    way: plain values in ``data`` (None if unreadable or not a mapping), the
    line and column of every key and list item in ``positions``. Tags
    (``!ENV``, ``!!python/name``) are not constructed: their text is kept."""
    entry = RawEntry(path=Path(rel), rel=rel, data=None, body="", body_line=1)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return entry
    if isinstance(node, yaml.MappingNode):
        entry.data = _NodeConverter(entry, 0).mapping(node, ())
    return entry


class _NodeConverter:
    """Turns composed YAML nodes into plain values, recording positions."""

    def __init__(self, entry: RawEntry, line_offset: int) -> None:
        self.entry = entry
        self.line_offset = line_offset

    def _pos(self, node: yaml.Node) -> tuple[int, int]:
        return (node.start_mark.line + 1 + self.line_offset, node.start_mark.column + 1)

    def value(self, node: yaml.Node, path: FieldPath) -> object:
        if isinstance(node, yaml.ScalarNode):
            if not node.style and node.value in NULL_WORDS:  # plain: None (PyYAML) or "" (libyaml)
                return None
            return node.value
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.entry.positions[path + (index,)] = self._pos(item)
                items.append(self.value(item, path + (index,)))
            return items
        return self.mapping(node, path)

    def mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict:
        result: dict[str, object] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            line, column = self._pos(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                self.entry.problems.append(
                    make_problem(
                        "non_string_key", file=self.entry.rel, line=line, column=column,
                        path=_dotted(path), key="…",
                    )
                )
                continue
            key = key_node.value
            if key in first_seen:
                self.entry.problems.append(
                    make_problem(
                        "duplicate_key", file=self.entry.rel, line=line, column=column,
                        path=_dotted(path + (key,)), key=key, first_line=first_seen[key],
                    )
                )
                continue
            first_seen[key] = line
            self.entry.positions[path + (key,)] = (line, column)
            result[key] = self.value(value_node, path + (key,))
        return result


def _error_mark(error: yaml.MarkedYAMLError):
    """Where the editor must look: the opening of an unclosed construct
    (quote, bracket, key without its colon), else where the parser stopped."""
    context = (error.context or "").lower()
    if error.context_mark is not None and context.startswith(("while scanning a quoted", "while scanning a simple key", "while parsing a flow")):
        return error.context_mark
    return error.problem_mark or error.context_mark


def _explain_yaml_error(error: yaml.MarkedYAMLError, line: str = "", column: int = 0) -> tuple[str, str]:
    """A French reading of the YAML parser's English diagnosis, with a hint.

    Only French reaches editors: an unknown diagnosis gets a general message.
    """
    problem = (error.problem or "").lower()
    context = (error.context or "").lower()
    char = line[column] if 0 <= column < len(line) else ""
    if "\t" in line[: column + 1] and ("cannot start any token" in problem or "tab" in problem or "expected" in problem):
        return ("tabulation interdite", "indentez avec des espaces, jamais avec des tabulations")
    if "unknown escape character" in problem:
        return (
            "barre oblique inverse inattendue entre guillemets doubles",
            "doublez-la (C:\\\\dossier) ou utilisez des guillemets simples ('C:\\dossier')",
        )
    if "quoted scalar" in context:
        return ("guillemet non fermé", "fermez la valeur par le même guillemet qu'à l'ouverture")
    if "mapping values are not allowed" in problem:
        return ("deux-points inattendu", "une valeur qui contient « : » doit être écrite entre guillemets")
    if "could not find expected ':'" in problem or "simple key" in context:
        return ("« : » manquant après un nom de champ", "chaque ligne s'écrit « nom: valeur »")
    if "flow mapping" in context or "flow sequence" in context or "expected ',' or" in problem:
        return (
            "accolade ou crochet non fermé",
            "fermez « { » par « } » et « [ » par « ] », et séparez les éléments par des virgules",
        )
    if ("did not find expected key" in problem or "expected <block end>" in problem) and ("'" in line or '"' in line):
        return (
            "texte inattendu après une valeur entre guillemets",
            "entourez toute la valeur de guillemets doubles ; une apostrophe entre guillemets simples s'écrit ''",
        )
    if "did not find expected key" in problem or "expected <block end>" in problem:
        return ("indentation incohérente", "alignez les champs d'un même niveau sur la même colonne")
    if "block sequence entries are not allowed" in problem:
        return ("tiret de liste mal placé", "un élément de liste « - » se place sur sa propre ligne, sous le nom du champ")
    if "did not find expected node content" in problem or "expected the node content" in problem:
        return ("valeur manquante ou mal écrite", "entourez la valeur de guillemets")
    if "undefined tag handle" in problem or "found undefined alias" in problem or "found unhashable key" in problem:
        return ("valeur commençant par « ! », « * » ou « & » illisible", "entourez la valeur de guillemets")
    if "second occurrence" in problem or "duplicate" in problem:
        return ("élément écrit deux fois", "gardez une seule occurrence")
    if "end of stream" in problem:
        return ("fin du bloc inattendue", "vérifiez que les guillemets et crochets ouverts sont fermés")
    if "cannot start any token" in problem:
        return (
            f"caractère « {char} » inattendu au début d'une valeur" if char.strip() else "caractère qui ne peut pas commencer une valeur",
            "entourez la valeur de guillemets (les valeurs qui commencent par @, ` ou % doivent l'être)",
        )
    if "expected a comment or a line break" in problem:
        return ("texte inattendu après une valeur", "entourez la valeur de guillemets")
    return ("structure incorrecte", "vérifiez l'indentation et les guillemets de cette ligne")


def _dotted(path: FieldPath) -> str:
    return format_path(path)


def format_path(path: FieldPath) -> str:
    """("chiffres_cles", 0, "valeur") -> "chiffres_cles[0].valeur"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text


def _relative(path: Path, root: Path) -> str:
    text, base = str(path), str(root).rstrip("/") + "/"
    if text.startswith(base):  # the common case: discovered under the root
        return text[len(base):].replace("\\", "/")
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
