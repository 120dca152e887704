"""``portail liens``: external links collected with file and line, checked
against a real local HTTP server (200, 404, 410, redirects, a loop, a server
that refuses HEAD, one that never answers in time)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from generators.cli import main
from generators.declaration import load_declaration
from generators.links import USER_AGENT, check_urls, collect_links

SEEN_AGENTS: list[str] = []


class Handler(BaseHTTPRequestHandler):
    def _answer(self, with_body: bool) -> None:
        SEEN_AGENTS.append(self.headers.get("User-Agent", ""))
        path = self.path
        if path == "/ok":
            self._send(200, with_body)
        elif path == "/absent":
            self._send(404, with_body)
        elif path == "/disparu":
            self._send(410, with_body)
        elif path == "/redirige":
            self._send(301, with_body, location="/ok")
        elif path == "/redirige-vers-absent":
            self._send(302, with_body, location="/absent")
        elif path == "/boucle":
            self._send(302, with_body, location="/boucle")
        elif path == "/sans-head":
            self._send(405 if self.command == "HEAD" else 200, with_body)
        elif path == "/lent":
            time.sleep(3)
            self._send(200, with_body)
        else:
            self._send(404, with_body)

    def _send(self, status: int, with_body: bool, location: str | None = None) -> None:
        body = f"<p>{status}</p>".encode()
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's names
        self._answer(False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(True)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> str:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_statuses_redirects_and_timeouts(server):
    paths = ["/ok", "/absent", "/disparu", "/redirige", "/redirige-vers-absent", "/boucle", "/sans-head", "/lent"]
    checks = check_urls([server + p for p in paths], timeout=0.5, concurrency=4, site_url="https://reseau.example.org/")
    result = {url.removeprefix(server): (c.dead, c.status, c.reason) for url, c in checks.items()}
    assert result["/ok"] == (False, 200, "ok")
    assert result["/redirige"] == (False, 200, "ok")  # followed to its target
    assert result["/sans-head"] == (False, 200, "ok")  # HEAD refused, GET answered
    assert result["/absent"] == (True, 404, "erreur 404 (page introuvable)")
    assert result["/disparu"] == (True, 410, "erreur 410 (page supprimée)")
    assert result["/redirige-vers-absent"] == (True, 404, "erreur 404 (page introuvable)")
    assert result["/boucle"] == (True, None, "trop de redirections")
    assert result["/lent"] == (True, None, "pas de réponse dans le délai")
    assert USER_AGENT.format(contact="; +https://reseau.example.org/") in SEEN_AGENTS


def test_unreachable_host_is_dead():
    # Port 9 on the loopback ("discard") has no listener here: connection refused.
    checks = check_urls(["http://127.0.0.1:9/"], timeout=2)
    check = checks["http://127.0.0.1:9/"]
    assert check.dead and check.status is None and check.reason == "connexion impossible"


FICHE = """\
---
titre: Une fiche
site_web: {base}/ok
referent:
  nom: Jeanne
partenaires:
  - Un partenaire
documents:
  - titre: Guide
    fichier: guide.pdf
---

Voir [le guide]({base}/absent) et <{base}/disparu>.

Une adresse nue : {base}/redirige.
"""

EVENT = """\
---
titre: Un événement
inscription: {base}/absent
---
"""


def test_links_collected_with_file_line_and_field(make_project):
    root = make_project({"fiches/une-fiche.md": FICHE.format(base="https://a.example"), "content/evenements/rdv.md": EVENT.format(base="https://b.example")})
    links = collect_links(load_declaration(root / "config" / "types.yml", root))
    found = [(link.file, link.line, link.field, link.url) for link in links]
    assert found == [
        ("content/evenements/rdv.md", 3, "inscription", "https://b.example/absent"),
        ("fiches/une-fiche.md", 3, "site_web", "https://a.example/ok"),
        ("fiches/une-fiche.md", 13, "", "https://a.example/absent"),
        ("fiches/une-fiche.md", 13, "", "https://a.example/disparu"),
        ("fiches/une-fiche.md", 15, "", "https://a.example/redirige"),  # the final dot is not part of it
    ]


def test_command_reports_dead_links_with_file_and_line(make_project, server, tmp_path, capsys):
    root = make_project({"fiches/une-fiche.md": FICHE.format(base=server), "content/evenements/rdv.md": EVENT.format(base=server)})
    report = tmp_path / "rapport.md"
    status = main(["--config", str(root / "mkdocs.yml"), "liens", "--sortie", str(report), "--delai", "2"])
    out = capsys.readouterr().out
    assert status == 1
    assert f"content/evenements/rdv.md:3: inscription : {server}/absent — erreur 404 (page introuvable)" in out
    assert f"fiches/une-fiche.md:13: {server}/disparu — erreur 410 (page supprimée)" in out
    assert f"{server}/ok" not in out and f"{server}/redirige" not in out
    assert "2 adresse(s) morte(s) sur 4 vérifiée(s), citée(s) à 3 endroit(s)." in out
    markdown = report.read_text(encoding="utf-8")
    assert markdown.startswith("# Liens externes morts\n")
    assert f"| `fiches/une-fiche.md` | 13 | texte | <{server}/absent> | erreur 404 (page introuvable) |" in markdown
    assert f"| `content/evenements/rdv.md` | 3 | inscription | <{server}/absent> | erreur 404 (page introuvable) |" in markdown


def test_command_exits_0_when_every_link_works(make_project, server, tmp_path, capsys):
    root = make_project({"fiches/une-fiche.md": f"---\ntitre: Une fiche\nsite_web: {server}/ok\n---\n\nVoir {server}/sans-head\n"})
    report = tmp_path / "rapport.md"
    assert main(["--config", str(root / "mkdocs.yml"), "liens", "--sortie", str(report)]) == 0
    assert "Aucun lien mort : 2 adresse(s) externe(s) vérifiée(s)." in capsys.readouterr().out
    assert "Aucun lien mort" in report.read_text(encoding="utf-8")
