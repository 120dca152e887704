"""Unit tests of ``generators.source``: bytes -> front matter -> raw values with positions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generators import source
from generators.problems import CATALOGUE
from generators.source import RawEntry, format_path, parse_bytes, read_entry

BOM = b"\xef\xbb\xbf"

FRONT = (
    "---\n"
    "titre: Une fiche\n"
    "referent:\n"
    "  nom: Jean Dupont\n"
    '  telephone: "03 89 35 35 70"\n'
    "thematiques:\n"
    "  - recyclage\n"
    "  - biodechets\n"
    "chiffres_cles:\n"
    "  - {valeur: '27', libelle: synergies}\n"
    "---\n"
    "\n"
    "## Le texte\n"
)


def parse(raw: bytes | str) -> RawEntry:
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    entry = RawEntry(path=Path("/nulle-part/fiches/essai.md"), rel="fiches/essai.md", data=None, body="", body_line=1)
    parse_bytes(raw, entry)
    return entry


def codes(entry: RawEntry) -> list[str]:
    return [p.code for p in entry.problems]


# --- Encodings and line endings --------------------------------------------------


def test_lf_reference():
    entry = parse(FRONT)
    assert entry.problems == []
    assert entry.data == {
        "titre": "Une fiche",
        "referent": {"nom": "Jean Dupont", "telephone": "03 89 35 35 70"},
        "thematiques": ["recyclage", "biodechets"],
        "chiffres_cles": [{"valeur": "27", "libelle": "synergies"}],
    }
    assert entry.positions[("titre",)] == (2, 1)
    assert entry.positions[("referent", "telephone")] == (5, 3)
    assert entry.positions[("thematiques", 1)] == (8, 5)
    assert entry.positions[("chiffres_cles", 0)] == (10, 5)
    assert entry.positions[("chiffres_cles", 0, "libelle")] == (10, 20)
    assert entry.body_line == 12
    assert entry.body == "\n## Le texte\n"


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda b: BOM + b, id="bom"),
        pytest.param(lambda b: b.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(lambda b: BOM + b.replace(b"\n", b"\r\n"), id="bom+crlf"),
        pytest.param(lambda b: b.replace(b"\n", b"\r"), id="cr"),
    ],
)
def test_bom_and_line_endings_give_same_data_and_positions(variant):
    reference = parse(FRONT)
    entry = parse(variant(FRONT.encode("utf-8")))
    assert entry.problems == []
    assert entry.data == reference.data
    assert entry.positions == reference.positions
    assert entry.body_line == reference.body_line
    assert entry.body == reference.body


def test_bom_and_crlf_keep_error_positions():
    text = "---\ntitre: Une fiche\nresume: a: b\n---\n"
    lf = parse(text)
    both = parse(BOM + text.replace("\n", "\r\n").encode())
    assert [(p.line, p.column, p.code) for p in both.problems] == [(p.line, p.column, p.code) for p in lf.problems]
    assert [(p.line, p.column) for p in lf.problems] == [(3, 10)]


def test_latin1_is_reported_with_its_line_and_column():
    entry = parse("---\ntitre: Une fiche\nresume: D\xe9chets\n---\n".encode("latin-1"))
    assert entry.data is None
    (problem,) = entry.problems
    assert (problem.code, problem.line, problem.column) == ("not_utf8", 3, 10)
    assert "UTF-8" in problem.message


def test_latin1_column_counts_characters_not_bytes():
    raw = "---\nresume: Réemploi \n---\n".encode("utf-8").replace(b"emploi ", b"emploi \xe9")
    # line 2 is "resume: Réemploi \xe9": 17 characters (18 bytes) before the bad byte
    (problem,) = parse(raw).problems
    assert (problem.line, problem.column) == (2, 18)


def test_empty_and_blank_files():
    assert codes(parse(b"")) == ["empty_file"]
    assert codes(parse(b" \n\t\r\n")) == ["empty_file"]
    assert codes(parse(BOM)) == ["empty_file"]


def test_front_matter_must_open_on_line_one():
    assert codes(parse("\n---\ntitre: x\n---\n")) == ["no_frontmatter"]
    assert codes(parse("# Titre\n")) == ["no_frontmatter"]


def test_unclosed_front_matter():
    entry = parse("---\ntitre: x\nresume: y\n")
    assert codes(entry) == ["unclosed_frontmatter"]
    assert entry.data is None


def test_closing_line_may_be_three_dots_or_have_trailing_spaces():
    assert parse("---\ntitre: x\n...\ncorps\n").data == {"titre": "x"}
    entry = parse("--- \ntitre: x\n---   \ncorps\n")
    assert entry.data == {"titre": "x"}
    assert entry.body == "corps\n"
    assert entry.body_line == 4


def test_empty_front_matter_is_an_empty_mapping():
    entry = parse("---\n---\ntexte\n")
    assert entry.problems == [] and entry.data == {}
    assert entry.body_line == 3
    entry = parse("---\n# rien que des commentaires\n\n---\n")
    assert entry.problems == [] and entry.data == {}


def test_body_line_and_body():
    entry = parse("---\na: 1\nb: 2\n---\nPremière ligne\nSeconde ligne")
    assert entry.body_line == 5
    assert entry.body.split("\n")[0] == "Première ligne"
    entry = parse("---\na: 1\n---")
    assert entry.body == "" and entry.body_line == 4


def test_only_first_closing_line_counts():
    entry = parse("---\na: 1\n---\ntexte\n\n---\n\nsuite\n")
    assert entry.data == {"a": "1"}
    assert "---" in entry.body


# --- Duplicate keys and odd keys ------------------------------------------------


def test_duplicate_key_reported_on_second_occurrence():
    entry = parse("---\ntitre: Premier\nresume: r\ntitre: Second\n---\n")
    (problem,) = entry.problems
    assert (problem.code, problem.line, problem.column, problem.path) == ("duplicate_key", 4, 1, "titre")
    assert "ligne 2" in problem.message
    assert entry.data["titre"] == "Premier"  # the first one is kept, the second is not silently used
    assert entry.positions[("titre",)] == (2, 1)


def test_nested_duplicate_key():
    entry = parse("---\nreferent:\n  nom: A\n  nom: B\n---\n")
    (problem,) = entry.problems
    assert (problem.line, problem.column, problem.path) == (4, 3, "referent.nom")


def test_duplicate_key_in_list_item():
    entry = parse("---\nchiffres_cles:\n  - valeur: 1\n    valeur: 2\n---\n")
    (problem,) = entry.problems
    assert (problem.code, problem.line, problem.column, problem.path) == ("duplicate_key", 4, 5, "chiffres_cles[0].valeur")


def test_non_string_key():
    entry = parse("---\ntitre: x\n[a, b]: y\n---\n")
    assert [(p.code, p.line, p.column) for p in entry.problems] == [("non_string_key", 3, 1)]
    assert entry.data == {"titre": "x"}


def test_top_level_must_be_a_mapping():
    for text, where in (("---\n- a\n- b\n---\n", (2, 1)), ("---\njuste du texte\n---\n", (2, 1)), ("---\n\n  [a]\n---\n", (3, 3))):
        entry = parse(text)
        assert [(p.code, p.line, p.column) for p in entry.problems] == [("not_a_mapping", *where)], text
        assert entry.data is None


# --- YAML 1.1 traps: no scalar is typed by YAML --------------------------------------


@pytest.mark.parametrize(
    "written, read",
    [
        ("0389353570", "0389353570"),
        ("+33389353570", "+33389353570"),
        ("non", "non"),
        ("oui", "oui"),
        ("on", "on"),
        ("off", "off"),
        ("yes", "yes"),
        ("no", "no"),
        ("true", "true"),
        ("False", "False"),
        ("2016-03-21", "2016-03-21"),
        ("2016-03-21 09:30", "2016-03-21 09:30"),
        ("2015", "2015"),
        ("1e3", "1e3"),
        ("0x1F", "0x1F"),
        ("012", "012"),
        ("0o17", "0o17"),
        ("1_000", "1_000"),
        ("12:30", "12:30"),
        (".inf", ".inf"),
        (".nan", ".nan"),
        ("2A", "2A"),
        ("49.89", "49.89"),
        ("-5", "-5"),
        ('"~"', "~"),
        ("'null'", "null"),
        ('""', ""),
        ("50 000 €", "50 000 €"),
    ],
)
def test_scalars_stay_text(written, read):
    entry = parse(f"---\nvaleur: {written}\nliste: [{written}]\n---\n")
    assert entry.problems == []
    assert entry.data["valeur"] == read
    assert entry.data["liste"] == [read]
    assert type(entry.data["valeur"]) is str


NULLS = ["~", "null", "Null", "NULL", ""]


@pytest.mark.parametrize("written", NULLS)
def test_null_words_are_none(written):
    entry = parse(f"---\nvaleur: {written}\n---\n")
    assert entry.data == {"valeur": None}


@pytest.mark.parametrize("written", NULLS)
def test_null_words_are_none_or_text_never_typed(written):
    """Whatever the loader, a null word is None or its own text, never another type."""
    value = parse(f"---\nvaleur: {written}\n---\n").data["valeur"]
    assert value is None or value == written


@pytest.mark.parametrize("written", NULLS)
def test_null_words_are_none_with_the_pure_python_loader(monkeypatch, written):
    """The intended behaviour, as the pure-Python loader gives it."""
    monkeypatch.setattr(source, "_Loader", yaml.SafeLoader)
    entry = parse(f"---\nvaleur: {written}\n---\n")
    assert entry.data == {"valeur": None}


def test_pure_and_c_loaders_agree_on_non_null_values(monkeypatch):
    c_entry = parse(FRONT)
    monkeypatch.setattr(source, "_Loader", yaml.SafeLoader)
    py_entry = parse(FRONT)
    assert py_entry.data == c_entry.data
    assert py_entry.positions == c_entry.positions


def test_tags_and_anchors_do_not_build_objects():
    entry = parse("---\na: !!int 12\nb: !!python/object:os.system echo\nc: &x valeur\nd: *x\n---\n")
    assert entry.problems == []
    assert entry.data == {"a": "12", "b": "echo", "c": "valeur", "d": "valeur"}


def test_multiline_and_folded_scalars():
    entry = parse("---\nbloc: |\n  a\n  b\nresume: >-\n  Une ligne\n  et une autre.\n---\n")
    assert entry.data == {"resume": "Une ligne et une autre.", "bloc": "a\nb\n"}


# --- YAML syntax errors: located in the file, not in the front matter ---------------------


def yaml_problem(text: str):
    entry = parse(text)
    assert entry.data is None
    (problem,) = entry.problems
    assert problem.code == "yaml_syntax"
    return problem


def test_error_line_accounts_for_opening_dashes():
    problem = yaml_problem("---\ntitre: x\nresume: a: b\n---\n")
    assert (problem.line, problem.column) == (3, 10)
    assert "guillemets" in (problem.hint or "")


def test_error_line_after_blank_lines_and_comments():
    problem = yaml_problem("---\n# commentaire\n\ntitre: x\n\nresume: `a`\n---\n")
    assert (problem.line, problem.column) == (6, 9)


def test_tab_indentation_is_located():
    problem = yaml_problem("---\nreferent:\n\tnom: x\n---\n")
    assert (problem.line, problem.column) == (3, 1)


def test_tab_indentation_message_mentions_tabs():
    problem = yaml_problem("---\nreferent:\n\tnom: x\n---\n")
    assert "tabulation" in problem.message


def test_missing_colon_is_located_on_its_line():
    problem = yaml_problem("---\ntitre: x\nresume sans deux-points\n---\n")
    assert (problem.line, problem.column) == (3, 1)


def test_bad_escape_is_not_called_unclosed_quote():
    problem = yaml_problem('---\nfichier: "C:\\dossier\\rapport.pdf"\n---\n')
    assert (problem.line, problem.column) == (2, 13)
    assert "guillemet non fermé" not in problem.message


@pytest.mark.parametrize(
    "line",
    [
        "labels: - a",
        "referent: {nom: a b: c}",
        "labels: [a, , b]",
        "metier: !inconnu!x y",
    ],
)
def test_yaml_error_messages_are_french(line):
    problem = yaml_problem(f"---\ntitre: x\n{line}\n---\n")
    for english in ("found", "expected", "allowed", "context", "undefined"):
        assert english not in problem.message


# --- Positions -------------------------------------------------------------------


def test_position_falls_back_to_deepest_known_parent():
    entry = parse(FRONT)
    assert entry.position(("referent", "email")) == entry.positions[("referent",)] == (3, 1)
    assert entry.position(("chiffres_cles", 0, "inconnu")) == (10, 5)
    assert entry.position(("absent",)) == (1, 1)
    assert entry.position(()) == (1, 1)


def test_format_path():
    assert format_path(("chiffres_cles", 0, "valeur")) == "chiffres_cles[0].valeur"
    assert format_path(("referent", "telephone")) == "referent.telephone"
    assert format_path(("thematiques", 2)) == "thematiques[2]"
    assert format_path(()) == ""


def test_positions_with_unicode_keys_and_values_count_characters():
    entry = parse("---\nrésumé: Écoconception et réemploi\nliste: [Éé, àç]\n---\n")
    assert entry.positions[("liste", 1)] == (3, 13)


# --- read_entry ------------------------------------------------------------------


def test_read_entry_relative_path_and_missing_file(tmp_path: Path):
    (tmp_path / "fiches").mkdir()
    path = tmp_path / "fiches" / "a.md"
    path.write_bytes(b"---\ntitre: x\n---\n")
    entry = read_entry(path, tmp_path)
    assert entry.rel == "fiches/a.md"
    assert entry.data == {"titre": "x"}
    missing = read_entry(tmp_path / "fiches" / "absent.md", tmp_path)
    assert missing.data is None
    assert [p.code for p in missing.problems] == ["config_error"]


def test_every_problem_code_is_in_catalogue():
    samples = [b"", b"x", b"---\na: 1\n", b"---\na: [\n---\n", b"---\n- a\n---\n", b"---\na: 1\na: 2\n---\n", b"\xff"]
    for raw in samples:
        for problem in parse(raw).problems:
            assert problem.code in CATALOGUE
            assert problem.line >= 1 and problem.column >= 1
            assert problem.file == "fiches/essai.md"
