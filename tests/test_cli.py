"""The ``portail`` command line: validate, new, schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import fixture_files
from generators.cli import main
from generators.declaration import load_declaration
from generators.problems import CATALOGUE

BAD_FICHE = """\
---
titre: Une fiche
resume: Un résumé.
territoires: [Somme]
thematiques: [recyclge]
site_web: www.exemple.fr
---
"""

TEXT_LINE = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+):(?P<column>\d+):(?: (?P<path>[^:]+):)? (?P<message>.+) \[(?P<code>[a-z_0-9]+)\]$")


@pytest.fixture
def project(make_project) -> Path:
    return make_project(fixture_files())


def run(root: Path, *args: str) -> int:
    return main(["--config", str(root / "mkdocs.yml"), *args])


def test_validate_valid_project_exits_0(project, capsys):
    assert run(project, "validate") == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "Tout est en ordre" in err and "4 fichier(s)" in err


def test_validate_text_format(project, capsys):
    (project / "fiches" / "mauvaise.md").write_text(BAD_FICHE, encoding="utf-8")
    assert run(project, "validate") == 1
    out, err = capsys.readouterr()
    problem_lines = [line for line in out.splitlines() if line and not line.startswith("    → ")]
    parsed = [TEXT_LINE.match(line) for line in problem_lines]
    assert all(parsed), problem_lines
    assert [(m["file"], m["line"], m["column"], m["path"], m["code"]) for m in parsed] == [
        ("fiches/mauvaise.md", "5", "15", "thematiques[0]", "unknown_term"),
        ("fiches/mauvaise.md", "6", "1", "site_web", "invalid_url"),
    ]
    assert "adresse web invalide « www.exemple.fr »" in out
    hints = [line for line in out.splitlines() if line.startswith("    → ")]
    assert any("« recyclage »" in hint for hint in hints)
    assert "2 problème(s) dans 1 fichier(s) sur 5 lu(s)" in err


def test_validate_only_given_paths(project, capsys):
    (project / "fiches" / "mauvaise.md").write_text(BAD_FICHE, encoding="utf-8")
    assert run(project, "validate", str(project / "content")) == 0
    capsys.readouterr()
    assert run(project, "validate", str(project / "fiches" / "mauvaise.md")) == 1
    assert "fiches/mauvaise.md" in capsys.readouterr().out


def test_validate_json_format(project, capsys):
    (project / "fiches" / "mauvaise.md").write_text(BAD_FICHE, encoding="utf-8")
    assert run(project, "validate", "--format", "json") == 1
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, list) and len(data) == 2
    for problem in data:
        assert isinstance(problem, dict)
        assert set(problem) >= {"file", "line", "column", "path", "code", "message", "hint"}
        assert problem["code"] in CATALOGUE
    assert data[1] == {
        "file": "fiches/mauvaise.md",
        "line": 6,
        "column": 1,
        "path": "site_web",
        "code": "invalid_url",
        "message": "adresse web invalide « www.exemple.fr »",
        "hint": "une adresse web commence par https:// ou http://, par exemple https://www.exemple.fr",
        "severity": "error",
    }


def test_validate_json_format_when_valid(project, capsys):
    assert run(project, "validate", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_validate_github_format(project, capsys):
    (project / "fiches" / "mauvaise.md").write_text(BAD_FICHE, encoding="utf-8")
    assert run(project, "validate", "--format", "github") == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("::error file=") for line in lines)
    assert lines[1].startswith("::error file=fiches/mauvaise.md,line=6,col=1,title=portail %3A site_web::")
    assert lines[1].endswith("[invalid_url]")
    assert "\n" not in lines[0] and "%0A" not in lines[0]


def test_github_format_escapes_properties():
    from generators.problems import make_problem

    problem = make_problem("invalid_url", file="a,b:c.md", line=2, column=3, path="x", value="100%")
    text = problem.format_github()
    assert text.startswith("::error file=a%2Cb%3Ac.md,line=2,col=3,")
    assert "100%25" in text


def test_bad_declaration_exits_1(project, capsys):
    types_yml = project / "config" / "types.yml"
    types_yml.write_text(types_yml.read_text(encoding="utf-8").replace("{type: url, libelle: Site web}", "{type: lien, libelle: Site web}", 1), encoding="utf-8")
    assert run(project, "validate") == 1
    err = capsys.readouterr().err
    assert "config/types.yml:" in err and "type de champ inconnu « lien »" in err and "[config_error]" in err


def test_missing_mkdocs_exits_2(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "mkdocs.yml"), "validate"]) == 2
    assert capsys.readouterr().err.startswith("portail : ")


# --- new -----------------------------------------------------------------------------


def test_new_creates_file_with_every_field(project, capsys):
    from generators.newfile import IMPORT_FIELDS

    assert run(project, "new", "fiche", "Mon titre") == 0
    assert "fiches/mon-titre.md" in capsys.readouterr().out
    created = project / "fiches" / "mon-titre.md"
    text = created.read_text(encoding="utf-8")
    declaration = load_declaration(project / "config" / "types.yml", project)
    for name, spec in declaration.types["fiche"].fields.items():
        if name in IMPORT_FIELDS:  # written by `portail importer` only
            assert not re.search(rf"^(# )?{name}:", text, re.MULTILINE), name
            continue
        assert re.search(rf"^(# )?{name}:", text, re.MULTILINE), name
        for sub in (spec.fields or (spec.item.fields if spec.item and spec.item.fields else {}) or {}):
            assert re.search(rf"^(# )?\s+(- )?{sub}:", text, re.MULTILINE), f"{name}.{sub}"
    assert 'titre: "Mon titre"' in text
    assert text.startswith("---\n")


def test_new_refuses_to_overwrite(project, capsys):
    assert run(project, "new", "fiche", "Mon titre") == 0
    created = project / "fiches" / "mon-titre.md"
    created.write_text(created.read_text(encoding="utf-8") + "\nMon texte à moi.\n", encoding="utf-8")
    before = created.read_bytes()
    capsys.readouterr()
    assert run(project, "new", "fiche", "Mon titre") == 2
    assert "existe déjà" in capsys.readouterr().err
    assert created.read_bytes() == before


def test_new_unknown_type_exits_2(project, capsys):
    assert run(project, "new", "recette", "Une tarte") == 2
    assert "type de contenu inconnu « recette »" in capsys.readouterr().err


def fill(text: str) -> str:
    text = text.replace("\nresume:\n", "\nresume: Une initiative de test, pour vérifier le fichier créé.\n", 1)
    text = text.replace("\nterritoires: []\n", "\nterritoires: [Somme]\n", 1)
    return text.replace("\nthematiques: []\n", "\nthematiques: [recyclage]\n", 1)


def test_new_file_validates_once_filled(project, capsys):
    assert run(project, "new", "fiche", "Mon titre") == 0
    created = project / "fiches" / "mon-titre.md"
    assert run(project, "validate", str(created)) == 1  # resume is empty
    out = capsys.readouterr().out
    assert "fiches/mon-titre.md" in out and "[empty_value]" in out
    created.write_text(fill(created.read_text(encoding="utf-8")), encoding="utf-8")
    assert run(project, "validate") == 0, capsys.readouterr().out


def test_new_file_still_needs_its_required_lists(project, capsys):
    assert run(project, "new", "fiche", "Mon titre") == 0
    created = project / "fiches" / "mon-titre.md"
    text = created.read_text(encoding="utf-8").replace("\nresume:\n", "\nresume: Un résumé.\n", 1)
    created.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert run(project, "validate", str(created)) == 1
    out = capsys.readouterr().out
    assert "territoires" in out and "thematiques" in out


@pytest.mark.parametrize("type_name", ["evenement", "ressource", "actualite", "acteur", "dispositif", "page"])
def test_new_other_types_are_valid_yaml(project, capsys, type_name):
    assert run(project, "new", type_name, "Un contenu « de test » : essai") == 0
    capsys.readouterr()
    run(project, "validate", "--format", "json")
    problems = json.loads(capsys.readouterr().out)
    assert bool(problems) is (type_name != "page"), "only a page has no required field left empty"
    assert all(p["code"] in {"empty_value", "missing_field", "rule_one_of"} for p in problems), problems


def test_new_with_slug(project, capsys):
    assert run(project, "new", "page", "À propos du réseau", "--slug", "a-propos") == 0
    assert (project / "content" / "a-propos.md").is_file()


# --- schema ----------------------------------------------------------------------------


def test_schema_writes_one_file_per_type(project, tmp_path, capsys):
    out_dir = tmp_path / "schemas"
    assert run(project, "schema", "--sortie", str(out_dir)) == 0
    declaration = load_declaration(project / "config" / "types.yml", project)
    files = sorted(p.name for p in out_dir.glob("*.schema.json"))
    assert files == sorted(f"{name}.schema.json" for name in declaration.types)
    fiche = json.loads((out_dir / "fiche.schema.json").read_text(encoding="utf-8"))
    assert fiche["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "titre" in fiche["required"]
    assert "recyclage" in fiche["properties"]["thematiques"]["items"]["enum"]
    assert fiche["additionalProperties"] is False
    acteur = json.loads((out_dir / "acteur.schema.json").read_text(encoding="utf-8"))
    assert "nom" in acteur["required"] and "titre" not in acteur["properties"]


def test_schema_single_type_to_stdout(project, capsys):
    assert run(project, "schema", "--type", "evenement") == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"titre", "date", "format", "type", "thematiques"} <= set(schema["required"])


def test_schema_unknown_type_exits_2(project, capsys):
    assert run(project, "schema", "--type", "recette") == 2
    assert "type inconnu « recette »" in capsys.readouterr().err


def test_help_and_usage_errors_are_in_french(capsys):
    with pytest.raises(SystemExit) as exit_help:
        main(["--help"])
    assert exit_help.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("utilisation : portail")
    assert "afficher cette aide et quitter" in out
    assert "show this help" not in out and "usage:" not in out
    with pytest.raises(SystemExit) as exit_error:
        main(["validate", "--format", "xml"])
    assert exit_error.value.code == 2
    err = capsys.readouterr().err
    assert "erreur : argument --format : choix invalide : 'xml'" in err
    # argparse is left as it was for other programs of the same process.
    import argparse

    assert argparse._("usage: ") == "usage: "
