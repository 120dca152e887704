"""Golden corpus of bad (and tricky but valid) content files.

Each folder of ``tests/golden/`` (except ``_fixture``) holds ``case.md``, the
raw bytes of a content file as an editor could save it, and ``expected.yml``:

``dossier``
    the folder where ``case.md`` is placed in the project;
``description``
    what the case shows, in French;
``problems``
    the exact list of problems, in the validator's sorted order, each with
    ``line``, ``column``, ``path`` and ``code``; optionally ``message`` and
    ``indice``, texts that the message and the hint must contain;
``bogue`` (optional)
    a known validator bug: the case states the right behaviour and is
    expected to fail (strict xfail) until the bug is fixed; none is open now.

Every case's project also holds the files of ``tests/golden/_fixture``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import GOLDEN_DIR, build_project, fixture_files, run_validator
from generators.problems import CATALOGUE
from generators.values import Phone

CASE_DIRS = sorted(p for p in GOLDEN_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
KNOWN_FOLDERS = {
    "fiches", "content", "content/evenements", "content/acteurs", "content/ressources",
    "content/actualites", "content/dispositifs",
}

# Words that betray an untranslated (English) message. Quoted values « … »
# are removed first: they are the editor's own text.
ENGLISH = re.compile(
    r"\b(error|errors|expected|field|required|should|must|invalid|unknown|missing|input|string|none|null|"
    r"found|while|scanning|parsing|allowed|could|did|not|the|value|occurrence|character|true|false)\b",
    re.IGNORECASE,
)
FRENCH = re.compile(
    r"\b(le|la|les|l|de|du|des|d|un|une|est|n|pas|et|ou|au|aucun|ce|cette|champ|fichier|valeur|date|texte|"
    r"attendu|invalide|erreur|trop|hors|renseignez|identifiant|inconnu|vouliez|dire|chemin|absolu|interdit|"
    r"exemple|termes|possibles|territoire|vérifiez|écrivez|donnez)\b|[àâçéèêëîïôûùœ]",
    re.IGNORECASE,
)


def load_expected(folder: Path) -> dict:
    return yaml.safe_load((folder / "expected.yml").read_text(encoding="utf-8"))


def _params():
    for folder in CASE_DIRS:
        expected = load_expected(folder)
        marks = []
        if expected.get("bogue"):
            marks.append(pytest.mark.xfail(strict=True, reason=expected["bogue"]))
        yield pytest.param(folder, id=folder.name, marks=marks)


def validate_case(folder: Path, root: Path):
    expected = load_expected(folder)
    files = fixture_files()
    rel = f"{expected['dossier']}/case.md"
    files[rel] = (folder / "case.md").read_bytes()
    build_project(root, files)
    return expected, rel, run_validator(root, rel)


def assert_french(text: str) -> None:
    assert text and text.strip(), "message vide"
    plain = re.sub(r"«[^»]*»", "« »", text)
    english = ENGLISH.findall(plain)
    assert not english, f"mots anglais {english} dans : {text}"
    assert FRENCH.search(plain), f"message qui ne ressemble pas à du français : {text}"


def test_corpus_is_large_enough():
    assert len(CASE_DIRS) >= 45
    for folder in CASE_DIRS:
        assert (folder / "case.md").is_file(), folder
        expected = load_expected(folder)
        assert expected["dossier"] in KNOWN_FOLDERS, folder
        assert isinstance(expected["description"], str) and expected["description"].strip()
        assert isinstance(expected["problems"], list)
        for problem in expected["problems"]:
            assert problem["code"] in CATALOGUE, (folder.name, problem["code"])


def test_fixture_tree_is_valid(tmp_path: Path):
    root = build_project(tmp_path / "projet", fixture_files())
    content = run_validator(root)
    assert content.problems == []
    assert {(i.type, i.slug) for i in content.items} == {
        ("acteur", "ressourcerie-des-biscottes"),
        ("acteur", "auxilia-conseil"),
        ("fiche", "fiche-existante"),
        ("ressource", "guide-collectivites"),
    }
    photo = root / "fiches" / "images" / "photo.jpg"
    assert photo.read_bytes()[:3] == b"\xff\xd8\xff" and photo.stat().st_size < 5000


@pytest.mark.parametrize("folder", list(_params()))
def test_golden_case(folder: Path, tmp_path: Path):
    expected, rel, content = validate_case(folder, tmp_path / "projet")
    got = [(p.file, p.line, p.column, p.path, p.code) for p in content.problems]
    want = [(rel, e["line"], e["column"], e["path"], e["code"]) for e in expected["problems"]]
    assert got == want, "\n".join(p.format_text() for p in content.problems)
    for problem, wanted in zip(content.problems, expected["problems"]):
        assert problem.file == rel
        assert_french(problem.message)
        if problem.hint:
            assert_french(problem.hint)
        if "message" in wanted:
            assert wanted["message"] in problem.message, problem.message
        if "indice" in wanted:
            assert problem.hint and wanted["indice"] in problem.hint, problem.hint
    if not expected["problems"]:
        assert any(item.source == rel for item in content.items), "un fichier valide doit donner un contenu"


def _item(folder_name: str, tmp_path: Path):
    _, rel, content = validate_case(GOLDEN_DIR / folder_name, tmp_path / "projet")
    assert content.problems == []
    return next(item for item in content.items if item.source == rel)


def test_unquoted_phone_is_normalised(tmp_path: Path):
    item = _item("telephone-sans-guillemets", tmp_path)
    phone = item.data["referent"]["telephone"]
    assert isinstance(phone, Phone)
    assert phone.national == "03 89 35 35 70"
    assert phone.e164 == "+33389353570"


def test_multi_sites_non_is_false(tmp_path: Path):
    item = _item("multi-sites-non", tmp_path)
    assert item.data["multi_sites"] is False


def test_unquoted_day_stays_a_day(tmp_path: Path):
    item = _item("date-debut-jour", tmp_path)
    assert item.data["date_debut"].iso() == "2016-03-21"
    assert item.data["date_debut"].precision == "day"


def test_terms_by_label_are_normalised_to_keys(tmp_path: Path):
    item = _item("terme-par-libelle", tmp_path)
    assert [t.key for t in item.data["thematiques"]] == ["recyclage", "ecoconception", "economie-sociale-solidaire"]


def test_departments_by_number(tmp_path: Path):
    item = _item("departement-par-numero", tmp_path)
    assert [(t.level, t.code) for t in item.data["territoires"]] == [
        ("departement", "80"), ("departement", "2A"), ("departement", "974"), ("departement", "01"),
    ]


def test_amounts_with_spaces(tmp_path: Path):
    item = _item("dispositif-montant-espaces", tmp_path)
    assert [p["montant"] for p in item.data["plafonds"]] == [50000, 200000]


def test_siret_with_spaces_is_compacted(tmp_path: Path):
    item = _item("siret-valide-avec-espaces", tmp_path)
    assert item.data["siret"] == "46978809500021"


def test_ambiguous_commune_lists_candidates(tmp_path: Path):
    _, _, content = validate_case(GOLDEN_DIR / "commune-ambigue", tmp_path / "projet")
    (problem,) = content.problems
    assert "Saint-Denis (93)" in problem.message and "Saint-Denis (974)" in problem.message


def test_plain_names_are_kept_as_names(tmp_path: Path):
    from generators.values import Name, Reference

    item = _item("porteur-nom-en-clair", tmp_path)
    assert item.data["porteur"] == Name("Mairie de Saint-Quentin")
    assert item.data["partenaires"] == [Reference("acteur", "auxilia-conseil"), Name("Atelier du Coin")]


def test_acteur_titre_hint_points_to_nom(tmp_path: Path):
    _, _, content = validate_case(GOLDEN_DIR / "acteur-titre-au-lieu-de-nom", tmp_path / "projet")
    unknown = next(p for p in content.problems if p.code == "unknown_field")
    assert "« nom »" in (unknown.hint or "")
