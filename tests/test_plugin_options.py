"""A mistake in the plugin's options in mkdocs.yml stops the build with a
French message that names the option, what it expects, what it got and
its line (generators/plugin_options.py), without MkDocs' English words."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from generators.build import BuildFailed, build_site
from generators.plugin import PortailConfig
from generators.plugin_options import OptionMessages
from generators.project import find_project
from sitebuild import copy_sources

ANCHOR = "      declaration: config/types.yml\n"


@pytest.mark.parametrize(
    "written, message",
    [
        ("cache: peut-être", "portail.cache : valeur attendue : true ou false (ici « peut-être »)"),
        ("etat_mois: douze", "portail.etat_mois : valeur attendue : un nombre entier (ici « douze »)"),
        ("today: demain", "portail.today : valeur attendue : une date écrite AAAA-MM-JJ (ici « demain »)"),
        ("recherche: 3", "portail.recherche : valeur attendue : des clés avec leurs valeurs (clé: valeur) (ici « 3 »)"),
        ("recherche:\n        parties: 0", "portail.recherche.parties : valeur attendue : « auto » ou un nombre entre 1 et 64 (ici « 0 »)"),
        ("recherche:\n        partie: 3", "portail.recherche.partie : option inconnue ; vouliez-vous dire « parties » ?"),
        ("cahce: false", "portail.cahce : option inconnue ; vouliez-vous dire « cache » ?"),
    ],
)
def test_a_bad_option_stops_the_build_with_its_line_in_french(tmp_path, caplog, written, message):
    root = copy_sources(tmp_path / "depot")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert ANCHOR in text
    config.write_text(text.replace(ANCHOR, f"{ANCHOR}      {written}\n", 1), encoding="utf-8")
    last = written.split("\n")[-1].strip()
    line = next(n for n, content in enumerate(config.read_text(encoding="utf-8").splitlines(), 1) if content.strip() == last)
    target = tmp_path / "publie"
    with pytest.raises(BuildFailed):
        build_site(find_project(config=config), today=date(2026, 11, 24), site_dir=target)
    assert f"mkdocs.yml:{line}: {message}" in caplog.text, caplog.text
    assert "Config value" not in caplog.text and "Expected type" not in caplog.text
    assert not target.exists()


@pytest.mark.parametrize("written", ["2026-11-20", '"2026-11-20"'])
def test_the_build_date_is_taken_quoted_or_not(written):
    """YAML reads an unquoted 2026-11-20 as a date, a quoted one as text."""
    import yaml

    config = PortailConfig()
    config.load_dict({"today": yaml.safe_load(written)})
    failed, _ = config.validate()
    assert failed == [] and config.today == "2026-11-20"


def test_a_choice_lists_its_values(tmp_path):
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: Essai\nplugins:\n  - search\n  - portail:\n      editeur:\n        backend: svn\n", encoding="utf-8")
    messages = OptionMessages(PortailConfig, {"editeur": {"backend": "svn"}}, str(config))
    assert messages.error("editeur", "Sub-option 'backend': Expected one of: ('github', 'gitlab', 'gitea') but received: 'svn'") == (
        "mkdocs.yml:6: portail.editeur.backend : valeur attendue : « github », « gitlab » ou « gitea » (ici « svn »)"
    )


def test_an_option_not_written_in_the_file_is_named_without_a_line(tmp_path):
    """With ``INHERIT``, the options may come from another file: no line
    then, rather than a wrong one; an option this does not describe keeps
    MkDocs' own words, placed."""
    config = tmp_path / "mkdocs.yml"
    config.write_text("INHERIT: base.yml\nsite_name: Essai\n", encoding="utf-8")
    messages = OptionMessages(PortailConfig, {"cache": "oui"}, str(config))
    assert messages.error("cache", "Expected type: <class 'bool'> but received: <class 'str'>") == (
        "mkdocs.yml: portail.cache : valeur attendue : true ou false (ici « oui »)"
    )
    assert messages.error("inconnue", "quelque chose") == "mkdocs.yml: portail.inconnue : quelque chose"
    assert OptionMessages(PortailConfig, {}, None).warning("un avertissement") == "un avertissement"
    assert Path(config).read_text(encoding="utf-8").startswith("INHERIT")  # only read
