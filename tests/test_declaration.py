"""The declaration (config/types.yml + config/vocabulaires.yml): loading, located errors, and
the promise that content types are configured in YAML alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CONFIG_DIR, REPO
from generators.declaration import DeclarationError, load_declaration
from generators.problems import CATALOGUE
from generators.schema import compile_declaration


def test_shipped_declaration_loads():
    declaration = load_declaration(REPO / "config" / "types.yml", REPO)
    assert set(declaration.types) == {"fiche", "evenement", "ressource", "actualite", "acteur", "dispositif", "page"}
    assert "recyclage" in declaration.vocabularies["thematiques"].terms
    assert declaration.types["acteur"].title_field == "nom"
    assert declaration.type_for("content/acteurs/x.md").name == "acteur"
    assert declaration.type_for("content/a-propos.md").name == "page"
    assert declaration.type_for("fiches/sous-dossier/x.md").name == "fiche"
    assert declaration.type_for("ailleurs/x.md") is None
    # the common fields are added to every type
    for ctype in declaration.types.values():
        assert {"brouillon", "mis_a_jour", "slug"} <= set(ctype.fields)


VOCABULARIES = """\
thematiques:
  libelle: Thématiques
  termes:
    recyclage:
      libelle: Recyclage et valorisation
"""


def declaration_problems(tmp_path: Path, types_yml: str, vocabularies_yml: str = VOCABULARIES) -> list:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "types.yml").write_text(types_yml, encoding="utf-8")
    (config / "vocabulaires.yml").write_text(vocabularies_yml, encoding="utf-8")
    with pytest.raises(DeclarationError) as info:
        load_declaration(config / "types.yml", tmp_path)
    problems = info.value.problems
    for problem in problems:
        assert problem.code in CATALOGUE
        assert problem.line >= 1 and problem.column >= 1
    return problems


BAD_TYPES = """\
vocabulaires: vocabulaires.yml
types:
  fiche:
    dossier: fiches
    url: fiches/{slug}/
    champs:
      titre: {type: texte, obligatoire: true}
      budget:
        type: montan
      thematiques: {type: liste, de: terme, vocabulaire: thematique}
      porteur: {type: reference, vers: acteurs}
      resume: {type: texte, obligatoir: true}
"""


def test_bad_declaration_gives_located_config_errors(tmp_path: Path):
    problems = declaration_problems(tmp_path, BAD_TYPES)
    assert all(p.code == "config_error" and p.file == "config/types.yml" for p in problems)
    by_line = {p.line: p for p in problems}
    assert sorted(by_line) == [9, 10, 11, 12]

    kind = by_line[9]
    assert (kind.column, kind.path) == (9, "types.fiche.champs.budget.type")
    assert "type de champ inconnu « montan »" in kind.message and "« montant »" in kind.message

    vocabulary = by_line[10]
    assert (vocabulary.column, vocabulary.path) == (7, "types.fiche.champs.thematiques")
    assert "vocabulaire inconnu « thematique »" in vocabulary.message

    target = by_line[11]
    assert (target.column, target.path) == (7, "types.fiche.champs.porteur")
    assert "type cible inconnu « acteurs »" in target.message

    option = by_line[12]
    assert (option.column, option.path) == (29, "types.fiche.champs.resume.obligatoir")
    assert "option de champ inconnue « obligatoir »" in option.message and "« obligatoire »" in option.message


def test_declaration_yaml_error_is_located_in_the_file(tmp_path: Path):
    problems = declaration_problems(tmp_path, "vocabulaires: vocabulaires.yml\ntypes:\n  fiche:\n    dossier: fiches: x\n")
    assert [(p.code, p.file, p.line, p.column) for p in problems] == [("yaml_syntax", "config/types.yml", 4, 20)]


def test_declaration_vocabulary_problems(tmp_path: Path):
    types_yml = "vocabulaires: vocabulaires.yml\ntypes:\n  page:\n    dossier: content\n    url: '{chemin}/'\n    champs:\n      titre: {type: texte}\n"
    vocabularies = "thematiques:\n  libelle: Thématiques\n  termes:\n    recyclage: {description: sans libellé}\nformats: [a, b]\n"
    problems = declaration_problems(tmp_path, types_yml, vocabularies)
    assert [(p.file, p.line, p.column, p.path) for p in problems] == [
        ("config/vocabulaires.yml", 4, 5, "thematiques.termes.recyclage"),
        ("config/vocabulaires.yml", 5, 1, "formats"),
    ]
    assert "libelle" in problems[0].message


def test_declaration_missing_vocabulary_file_and_type_options(tmp_path: Path):
    types_yml = "vocabulaires: absent.yml\ntypes:\n  fiche:\n    libelle: Fiche\n    champs:\n      titre: {type: texte}\n    couleur: verte\n"
    config = tmp_path / "config"
    config.mkdir()
    (config / "types.yml").write_text(types_yml, encoding="utf-8")
    with pytest.raises(DeclarationError) as info:
        load_declaration(config / "types.yml", tmp_path)
    messages = [p.message for p in info.value.problems]
    assert any("lecture impossible" in m for m in messages)
    assert any("option de type inconnue « couleur »" in m for m in messages)
    assert any("« dossier »" in m for m in messages)
    assert any("« url »" in m for m in messages)
    located = [p for p in info.value.problems if "couleur" in p.message]
    assert (located[0].line, located[0].column) == (7, 5)


# --- Configuration alone makes new fields and terms valid ------------------------------

FICHE_WITH_NEW_THINGS = """\
---
titre: Des ordinateurs reconditionnés pour les écoles
resume: Une association reconditionne les ordinateurs des administrations pour les écoles.
territoires: [Somme]
thematiques: [recyclage, numerique-responsable]
budget: 50 000 €
---

Le texte de la fiche.
"""

NEW_FIELD = "      budget: {type: montant, libelle: Budget, aide: Budget total du projet en euros.}\n"
NEW_TERM = (
    "    numerique-responsable:\n"
    "      libelle: Numérique responsable\n"
    "      description: Sobriété, réemploi et reconditionnement des équipements numériques.\n"
)


def insert_after(text: str, anchor_lines: list[str], insertion: str) -> str:
    """Insert ``insertion`` after the first line equal to the last anchor, found after the previous anchors."""
    lines = text.splitlines(keepends=True)
    index = 0
    for anchor in anchor_lines:
        index = next(i for i in range(index, len(lines)) if lines[i].rstrip("\n") == anchor) + 1
    return "".join(lines[:index]) + insertion + "".join(lines[index:])


def test_new_field_and_term_need_configuration_only(make_project, validate):
    root = make_project({"fiches/numerique.md": FICHE_WITH_NEW_THINGS})
    before = validate(root, "fiches/numerique.md")
    assert [(p.line, p.column, p.path, p.code) for p in before.problems] == [
        (5, 26, "thematiques[1]", "unknown_term"),
        (6, 1, "budget", "unknown_field"),
    ]

    types_yml = root / "config" / "types.yml"
    vocabularies_yml = root / "config" / "vocabulaires.yml"
    types_yml.write_text(insert_after(types_yml.read_text(encoding="utf-8"), ["  fiche:", "    champs:"], NEW_FIELD), encoding="utf-8")
    vocabularies_yml.write_text(
        insert_after(vocabularies_yml.read_text(encoding="utf-8"), ["thematiques:", "  termes:"], NEW_TERM), encoding="utf-8"
    )
    # only the copies changed: the shipped configuration is untouched
    assert "budget" not in (CONFIG_DIR / "types.yml").read_text(encoding="utf-8")
    assert "numerique-responsable" not in (CONFIG_DIR / "vocabulaires.yml").read_text(encoding="utf-8")

    after = validate(root, "fiches/numerique.md")
    assert after.problems == []
    item = next(i for i in after.items if i.source == "fiches/numerique.md")
    assert item.data["budget"] == 50000
    assert [t.key for t in item.data["thematiques"]] == ["recyclage", "numerique-responsable"]
    assert item.data["thematiques"][1].label == "Numérique responsable"

    # the derived artefacts follow: JSON Schema of the fiche
    declaration = load_declaration(types_yml, root)
    schema = compile_declaration(declaration)["fiche"].json_schema()
    assert schema["properties"]["budget"]["type"] == "number"
    assert "numerique-responsable" in schema["properties"]["thematiques"]["items"]["enum"]
