"""The web editor at /admin/ (Decap CMS): its configuration generated from the
declaration, the files the build publishes, and, for real, a new initiative
sheet created through the form with decap-server and headless Chromium.

The browser tests need /usr/bin/chromium, Node.js and admin/node_modules
(``bash scripts/setup_admin.sh``); they are skipped without them, except in
CI (``CI=true``) where they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest
import yaml

from generators.declaration import load_declaration
from generators.decap import DATE_PATTERN, EditorSettings, bundle_files, config_yaml, decap_config
from generators.fields import parse_partial_date

from sitebuild import AXE_JS, CHROMIUM_ARGS, REPO, built_site, chromium, copy_sources, require_tools, serve  # noqa: F401

DECAP_SERVER = REPO / "admin" / "node_modules" / "decap-server" / "dist" / "index.js"
TODAY = date(2026, 11, 24)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def declaration():
    return load_declaration(REPO / "config" / "types.yml", REPO)


def collections(declaration, **settings) -> dict[str, dict]:
    config = decap_config(declaration, EditorSettings(**settings))
    return {c["name"]: c for c in config["collections"]}


def fields_of(collection: dict) -> dict[str, dict]:
    return {f["name"]: f for f in collection["fields"]}


# --------------------------------------------------------------------------
# The generated configuration


def test_every_type_is_a_collection_in_its_folder(declaration):
    found = collections(declaration)
    assert list(found) == list(declaration.types)
    for name, ctype in declaration.types.items():
        collection = found[name]
        assert collection["folder"] == ctype.folder
        assert collection["label_singular"] == ctype.label
        assert collection["identifier_field"] == ctype.title_field
        assert collection["create"] is True
        assert collection["format"] == "yaml-frontmatter" and collection["extension"] == "md"
        # Keys of the form are the front matter keys, plus Decap's Markdown body.
        assert list(fields_of(collection)) == [ctype.title_field] + [
            key for key in ctype.fields if key != ctype.title_field
        ] + ["body"]
        assert fields_of(collection)["body"]["widget"] == "markdown"


def test_backend_workflow_and_language(declaration):
    config = decap_config(
        declaration,
        EditorSettings(backend="gitea", repo="reseau/portail", branch="prod", base_url="https://forge.example.org", api_root="https://forge.example.org/api/v1", app_id="abc"),
    )
    assert config["backend"] == {
        "name": "gitea", "repo": "reseau/portail", "branch": "prod",
        "base_url": "https://forge.example.org", "api_root": "https://forge.example.org/api/v1", "app_id": "abc",
    }
    assert config["publish_mode"] == "editorial_workflow"
    assert config["locale"] == "fr"
    assert "local_backend" not in config
    local = decap_config(declaration, EditorSettings(local_backend="http://127.0.0.1:9000/api/v1"))
    assert local["local_backend"] == {"url": "http://127.0.0.1:9000/api/v1"}
    assert decap_config(declaration, EditorSettings(local_backend=True))["local_backend"] is True


def test_a_field_added_to_the_declaration_appears_in_the_form(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "config")
    types = tmp_path / "config" / "types.yml"
    text = types.read_text(encoding="utf-8")
    anchor = "      titre: {type: texte, obligatoire: true, libelle: Titre, max_caracteres: 200}\n"
    assert anchor in text
    added = (
        "      budget: {type: montant, obligatoire: true, libelle: Budget total, aide: En euros.}\n"
        "      publics_vises: {type: liste, de: terme, vocabulaire: publics, libelle: Publics visés}\n"
    )
    types.write_text(text.replace(anchor, anchor + added, 1), encoding="utf-8")
    fields = fields_of(collections(load_declaration(types, tmp_path))["fiche"])
    assert fields["budget"] == {
        "label": "Budget total", "name": "budget", "hint": "En euros.", "required": True,
        "widget": "number", "value_type": "float", "min": 0,
    }
    assert fields["publics_vises"]["widget"] == "select" and fields["publics_vises"]["multiple"] is True


def test_vocabularies_become_select_options(declaration):
    fiche = fields_of(collections(declaration)["fiche"])
    evenement = fields_of(collections(declaration)["evenement"])
    themes = declaration.vocabularies["thematiques"]
    expected = [{"label": term.label, "value": term.key} for term in themes.terms.values()]
    assert fiche["thematiques"]["widget"] == "select"
    assert fiche["thematiques"]["options"] == expected
    assert fiche["thematiques"]["multiple"] is True and fiche["thematiques"]["min"] == 1  # a list of terms, required
    formats = declaration.vocabularies["formats_evenements"]
    assert evenement["format"]["options"] == [{"label": t.label, "value": t.key} for t in formats.terms.values()]
    assert "multiple" not in evenement["format"]  # a single term


def test_required_flags(declaration):
    fiche = fields_of(collections(declaration)["fiche"])
    for name, spec in declaration.types["fiche"].fields.items():
        assert fiche[name]["required"] is spec.required, name
    # Inside an optional group, Decap would demand the group's required
    # sub-fields even when the group is left empty: the validator checks them.
    assert fiche["referent"]["required"] is False
    assert {f["name"]: f["required"] for f in fiche["referent"]["fields"]}["nom"] is False
    assert all(f["required"] is False for f in fiche["coordonnees"]["fields"])
    # In a list of groups, an added item must be complete.
    assert {f["name"]: f["required"] for f in fiche["chiffres_cles"]["fields"]} == {"valeur": True, "libelle": True}
    assert fiche["territoires"]["min"] == 1


def test_widgets_by_field_kind(declaration):
    found = collections(declaration)
    fiche, evenement, dispositif = (fields_of(found[name]) for name in ("fiche", "evenement", "dispositif"))
    assert fiche["titre"]["widget"] == "string" and fiche["resume"]["widget"] == "text"
    assert fiche["multi_sites"]["widget"] == "boolean"
    assert fiche["territoires"]["widget"] == "list" and fiche["territoires"]["field"]["widget"] == "string"
    assert fiche["chiffres_cles"]["widget"] == "list" and [f["name"] for f in fiche["chiffres_cles"]["fields"]] == ["valeur", "libelle"]
    assert fiche["referent"]["widget"] == "object"
    assert [f["name"] for f in fiche["image"]["fields"]] == ["src", "alt", "decoratif", "legende"]
    assert fiche["image"]["fields"][0]["widget"] == "image"
    assert [f["widget"] for f in fiche["documents"]["fields"]] == ["string", "file"]
    assert evenement["date"]["widget"] == "datetime" and evenement["date"]["format"] == "YYYY-MM-DD HH:mm"
    assert evenement["participants"] == {**evenement["participants"], "widget": "number", "value_type": "int", "min": 0}
    assert evenement["fiches_liees"]["widget"] == "relation" and evenement["fiches_liees"]["collection"] == "fiche"
    assert evenement["fiches_liees"]["multiple"] is True
    assert dispositif["taux_max"]["min"] == 0 and dispositif["taux_max"]["max"] == 100


def test_date_pattern_agrees_with_the_validator(declaration):
    fiche = fields_of(collections(declaration)["fiche"])
    assert fiche["date_debut"]["pattern"][0] == DATE_PATTERN
    for text in ("2015", "2015-03", "2015-03-21", "15", "2015-3", "2015/03/21", "mars 2015"):
        assert bool(re.fullmatch(DATE_PATTERN, text)) is (parse_partial_date(text) is not None), text


def test_media_folders_are_relative_to_the_entries(declaration):
    found = collections(declaration, media_folder="content/medias", media_folders={"fiche": "fiches/images"})
    # Decap writes public_folder + file name; our validator reads a path
    # relative to the content file.
    assert found["fiche"]["media_folder"] == found["fiche"]["public_folder"] == "images"
    assert found["evenement"]["media_folder"] == "../medias"
    assert found["page"]["media_folder"] == "medias"
    assert decap_config(declaration, EditorSettings(site_url="https://example.org/portail/"))["public_folder"] == "/portail/medias"
    assert decap_config(declaration, EditorSettings())["public_folder"] == "/medias"


def test_config_yaml_reads_back(declaration):
    settings = EditorSettings(repo="reseau/portail")
    text = config_yaml(declaration, settings)
    assert text.startswith("# Configuration de l'éditeur web")
    assert yaml.safe_load(text) == decap_config(declaration, settings)


# --------------------------------------------------------------------------
# What the build publishes


def test_build_publishes_admin(built_site):
    admin = built_site / "admin"
    html = (admin / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in html
    assert re.search(r'<script src="decap-cms\.js"></script>', html)
    assert not re.search(r'(src|href)="(https?:)?//', html), "the editor page must load nothing from another host"
    config = yaml.safe_load((admin / "config.yml").read_text(encoding="utf-8"))
    assert config["publish_mode"] == "editorial_workflow"
    assert [c["folder"] for c in config["collections"]][:1] == ["fiches"]
    shipped = sorted(p.name for p in admin.iterdir())
    bundle = bundle_files(REPO / "admin" / "node_modules" / "decap-cms" / "dist")
    assert set(shipped) == {"index.html", "config.yml", *(p.name for p in bundle)}
    assert not any(name.endswith(".map") for name in shipped)
    assert (admin / "decap-cms.js").read_bytes() == (REPO / "admin/node_modules/decap-cms/dist/decap-cms.js").read_bytes()
    guide = (built_site / "contribuer" / "index.html").read_text(encoding="utf-8")
    assert 'id="editeur-web"' in guide and '<a href="../admin/">' in guide
    assert "Se connecter avec GitHub" in guide and "reseau-economie-circulaire/portail" in guide


def test_the_editor_can_be_turned_off(tmp_path):
    from generators.build import build_site
    from generators.project import find_project

    project = _copy_sources(tmp_path / "src", {"actif": False})
    site = build_site(find_project(config=project / "mkdocs.yml"), today=TODAY, site_dir=tmp_path / "site")
    assert not (site / "admin").exists()
    assert 'id="editeur-web"' not in (site / "contribuer" / "index.html").read_text(encoding="utf-8")
    assert (site / "fiches" / "index.html").is_file()


# --------------------------------------------------------------------------
# In the browser


def _require_editor_tools() -> None:
    require_tools(browser=True, axe=True)
    missing = [str(p) for p in (DECAP_SERVER,) if not p.is_file()]
    if shutil.which("node") is None:
        missing.append("node")
    if shutil.which("git") is None:
        missing.append("git")
    if missing:
        reason = f"missing {', '.join(missing)}: run `bash scripts/setup_admin.sh`"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


def _axe(page) -> list:
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => `${v.id} (${v.nodes.length}): ${v.help} at ${v.nodes[0].target.join(' ')}`))",
        WCAG_TAGS,
    )


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["bureau", "telephone"])
def test_login_page_passes_axe_and_stays_on_the_site(chromium, built_site, viewport):
    """/admin/ as the public sees it (GitHub backend: the login page)."""
    _require_editor_tools()
    with serve(built_site) as origin:
        context = chromium.new_context(viewport=viewport, locale="fr-FR")
        page = context.new_page()
        requests: list[str] = []
        failures: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("response", lambda response: response.status >= 400 and failures.append(f"{response.status} {response.url}"))
        try:
            page.goto(f"{origin}/admin/", wait_until="networkidle")
            page.get_by_role("button", name="Se connecter avec GitHub").wait_for()
            assert page.title().startswith("Éditeur web")
            foreign = sorted({r for r in requests if not r.startswith((origin + "/", "data:", "blob:"))})
            assert not foreign, f"/admin/ requests other hosts: {foreign}"
            assert not failures, f"/admin/: failed local requests: {failures}"
            violations = _axe(page)
            assert not violations, "/admin/: axe violations:\n" + "\n".join(violations)
        finally:
            context.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _copy_sources(target: Path, editor: dict) -> Path:
    """The site sources in ``target``, with ``editor`` merged into the plugin's ``editeur`` options."""
    copy_sources(target)
    config = yaml.safe_load((target / "mkdocs.yml").read_text(encoding="utf-8"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "portail" in plugin:
            options = plugin["portail"] if isinstance(plugin["portail"], dict) else {}
            options.setdefault("editeur", {}).update(editor)
            plugin["portail"] = options
    (target / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _wait_for_server(url: str, process: subprocess.Popen, log: Path) -> None:
    body = json.dumps({"action": "info"}).encode()
    for _ in range(100):
        if process.poll() is not None:
            raise AssertionError(f"decap-server stopped (status {process.returncode}):\n{log.read_text()[-2000:]}")
        try:
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=2) as response:
                if json.load(response).get("type") == "local_git":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError(f"decap-server did not answer on {url}:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def editing_repo():
    """A Git repository holding a copy of the site sources, its site built with
    the local backend, decap-server serving it (MODE=git: the editorial
    workflow's branches), and the site served. Yields (repo, site origin, decap-server's API URL, build)."""
    _require_editor_tools()
    from generators.build import build_site
    from generators.project import find_project

    tmp = Path(tempfile.mkdtemp(prefix="portail-decap-"))
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api/v1"
    repo = _copy_sources(tmp / "depot", {"local_backend": api})
    (repo / ".gitignore").write_text(".cache/\nsite/\n", encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.name", "Test portail")
    _git(repo, "config", "user.email", "test@example.org")
    _git(repo, "config", "commit.gpgsign", "false")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "Contenus de démonstration")

    def build(site_dir: Path) -> Path:
        return build_site(find_project(config=repo / "mkdocs.yml"), today=TODAY, site_dir=site_dir)

    site = build(tmp / "site")
    log = tmp / "decap-server.log"
    env = dict(os.environ, PORT=str(port), BIND_HOST="127.0.0.1", MODE="git", GIT_REPO_DIRECTORY=str(repo), LOG_LEVEL="info")
    with open(log, "w", encoding="utf-8") as out:
        # Its own process group: it is stopped, with any child, at the end.
        server = subprocess.Popen(["node", str(DECAP_SERVER)], cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_server(api, server, log)
        with serve(site) as origin:
            yield repo, origin, api, build
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    assert server.returncode is not None


TITLE = "Un atelier de réparation à l'essai"
SLUG = "un-atelier-de-reparation-a-lessai"  # Decap drops the apostrophe


def test_new_initiative_sheet_through_the_form(editing_repo, chromium):
    repo, origin, api, build = editing_repo
    path = f"fiches/{SLUG}.md"
    assert not (repo / path).exists()
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Voulez-vous vraiment publier cette entrée ?"
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(f"{origin}/admin/", wait_until="networkidle")
        page.get_by_role("button", name="Se connecter").click()
        page.goto(f"{origin}/admin/#/collections/fiche/new")
        page.get_by_label("Titre", exact=True).fill(TITLE)
        page.get_by_label("Résumé", exact=True).fill("Un atelier où les habitants apprennent à réparer leurs objets, avec des bénévoles.")
        page.get_by_role("button", name="Ajouter territoires").click()
        page.locator('input[id^="territoires-field-"]').fill("Amiens")
        themes = page.locator('input[id^="thematiques-field-"]')
        for text in ("durée d'usage", "Prévention des déch"):
            themes.click()
            themes.fill(text)
            page.get_by_text(re.compile(re.escape(text), re.I)).last.wait_for()
            themes.press("Enter")
        page.get_by_label("Début (optionnel)", exact=True).fill("2026-09")
        page.get_by_role("button", name="Enregistrer", exact=True).click()
        page.get_by_role("button", name="Statut: Brouillon").wait_for()

        # Editorial workflow: the save is a branch (a pull request on a forge), not yet on main.
        branch = f"cms/fiche/{SLUG}"
        assert branch in _git(repo, "branch", "--list", branch)
        assert not (repo / path).exists()
        draft = _git(repo, "show", f"{branch}:{path}")
        assert f"titre: {TITLE}" in draft

        page.get_by_role("button", name="Statut: Brouillon").click()
        page.get_by_role("menuitem", name="Prêt").click()
        page.get_by_role("button", name="Statut: Prêt").wait_for()
        page.get_by_role("button", name="Publier", exact=True).click()
        page.get_by_role("menuitem", name="Publier maintenant").click()
        for _ in range(100):  # decap-server merges the branch into main
            if (repo / path).is_file() and not _git(repo, "branch", "--list", branch).strip():
                break
            time.sleep(0.1)
    finally:
        context.close()

    # The whole session stays on the site and the local backend: no font, CDN or API elsewhere.
    foreign = sorted({r for r in requests if not r.startswith((origin + "/", "data:", "blob:", api))})
    assert not foreign, f"the editor requests other hosts: {foreign}"
    assert (repo / path).is_file(), f"{path} was not published:\n{_git(repo, 'log', '--oneline', '--all')}"
    assert _git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    written = (repo / path).read_text(encoding="utf-8")
    assert written.startswith("---\n")
    front = yaml.safe_load(written.split("---\n")[1])
    assert front["titre"] == TITLE
    assert front["territoires"] == ["Amiens"]
    assert front["thematiques"] == ["allongement-duree-usage", "prevention-dechets"]

    result = subprocess.run(
        [sys.executable, "-m", "generators.cli", "validate", path], cwd=repo, capture_output=True, text=True
    )
    assert result.returncode == 0, f"portail validate refuses what Decap wrote:\n{written}\n{result.stdout}{result.stderr}"

    site = build(repo.parent / "site-2")
    page_html = (site / "fiches" / SLUG / "index.html").read_text(encoding="utf-8")
    assert TITLE.replace("'", "&#39;") in page_html or TITLE in page_html
    assert f'href="{SLUG}/"' in (site / "fiches" / "index.html").read_text(encoding="utf-8")


def test_content_saved_as_decap_writes_it_still_validates(tmp_path):
    """Every demo file, its front matter read and written back by the YAML
    library Decap uses (YAML 1.2: it types numbers, re-quotes, turns flow
    lists into block lists), is still accepted by ``portail validate``."""
    if shutil.which("node") is None or not (REPO / "admin" / "node_modules" / "yaml").is_dir():
        reason = "missing node or admin/node_modules: run `bash scripts/setup_admin.sh`"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    project = _copy_sources(tmp_path / "src", {})
    declaration = load_declaration(project / "config" / "types.yml", project)
    from generators.content import discover

    files = discover(declaration)
    before = {path: path.read_text(encoding="utf-8") for path in files}
    env = dict(os.environ, NODE_PATH=str(REPO / "admin" / "node_modules"))
    subprocess.run(["node", str(REPO / "tests" / "decap_roundtrip.js"), *map(str, files)], check=True, env=env, capture_output=True, text=True)
    changed = [path for path in files if path.read_text(encoding="utf-8") != before[path]]
    assert len(changed) > len(files) // 2, "the round trip rewrote almost nothing: is it running?"
    result = subprocess.run([sys.executable, "-m", "generators.cli", "validate"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
