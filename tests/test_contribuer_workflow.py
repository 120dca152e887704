"""/contribuer/ explains the editors' workflow (branch, pull request, checks,
annotations, publication, `portail etat`, `portail liens`), and every command
it names exists."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from generators.cli import _parser
from sitebuild import REPO, built_site  # noqa: F401


class _Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: dict[str, str] = {}
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("h2", "h3") and dict(attrs).get("id"):
            self._open = dict(attrs)["id"]
            self.headings[self._open] = ""

    def handle_endtag(self, tag):
        if tag in ("h2", "h3"):
            self._open = None

    def handle_data(self, data):
        if self._open:
            self.headings[self._open] += data


def test_guide_has_the_workflow_sections(built_site):
    html = (built_site / "contribuer" / "index.html").read_text(encoding="utf-8")
    parser = _Headings()
    parser.feed(html)
    headings = {key: " ".join(text.split()) for key, text in parser.headings.items()}
    assert headings["proposer-publier"] == "Proposer et publier une modification"
    assert headings["verifications"] == "Les vérifications automatiques"
    assert headings["publication"] == "La publication"
    assert headings["etat"] == "Ce qui demande votre attention : portail etat"
    assert headings["liens"] == "Les liens morts : portail liens"
    assert "annotation sur la ligne concernée" in html
    assert "le site en ligne reste tel qu'il était" in html
    # the workflow comes before the reference tables of the types
    assert html.index('id="proposer-publier"') < html.index('id="types"')


def test_commands_named_in_the_guide_exist(built_site):
    html = (built_site / "contribuer" / "index.html").read_text(encoding="utf-8")
    commands = set(re.findall(r"<code>portail (\w+)", html))
    assert {"etat", "liens", "validate"} <= commands
    parser = _parser()
    for command in ("etat", "liens", "validate"):
        assert parser.parse_args([command]).command == command
    parser.parse_args(["etat", "--mois", "6", "--format", "markdown"])
    targets = set(re.findall(r"^([a-z-]+):", (REPO / "Makefile").read_text(encoding="utf-8"), re.M))
    for target in re.findall(r"<code>make (\w[\w-]*)</code>", html):
        assert target in targets, target
