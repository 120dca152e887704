"""``portail importer``: pages saved from the old portal become content files.

Two passes over the folder, both pure until the last step:

1. **read and plan** — every ``.html``/``.htm`` file is read by
   ``legacy_html.read_page``, its type recognised (``--type``, else the words
   of its old address or folder listed in ``config/import.yml``, else the
   labels it uses), its slug and new address fixed;
2. **map and write** — the "label: value" blocks are matched to declared
   fields (names, labels, singular/plural, ``config/import.yml`` aliases) and
   each value is checked by the validator's own field functions
   (``fields.py``), so what is written validates; what cannot be mapped goes
   to ``a_verifier`` with the old label and value. Images next to the pages
   are copied into the media folder, links between imported pages rewritten.

Every imported file gets ``brouillon: true``: nothing reaches readers before
an editor has checked it. Files are created with mode ``x``: an existing file
is never overwritten, the page is reported as skipped. The redirect table
(``config/redirections.yml``) is only appended to: an existing entry is never
changed.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import frontmatter
import yaml

from .declaration import ContentType, Declaration, FieldSpec, Vocabulary, _fold
from .fields import SCALAR_VALIDATORS, FieldContext, FieldError, slugify
from .legacy_html import LegacyPage, LabelBlock, read_page, to_markdown
from .pages import item_url
from .problems import make_problem
from .redirects import old_path_key
from .source import read_entry
from .territories import TerritoryIndex

HTML_SUFFIXES = (".html", ".htm", ".php", ".asp", ".aspx", ".shtml")
MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}
DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:er)?\s+([a-zéû]+)\s+(\d{4})\b", re.I)
NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b")
MONTH_YEAR = re.compile(r"\b([a-zéû]+)\s+(\d{4})\b", re.I)
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
TIME = re.compile(r"\b(\d{1,2})\s*[hH:]\s*(\d{2})?\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}")
POSTCODE = re.compile(r"\b(\d{5})\s+(.+)$")
LIST_SPLIT = re.compile(r"\s*(?:\n|;|,|\s/\s|/)\s*")
PART_SPLIT = re.compile(r"\s*(?:\n|,|\s[-–]\s)\s*")
SLUG_MAX = 80


@dataclass(slots=True)
class Settings:
    selectors: list[str]
    media_folder: str
    redirects_file: str
    address_words: dict[str, set[str]]
    aliases: dict[str, dict[str, str]]  # type -> folded label -> field
    defaults: dict[str, dict[str, object]]


def load_settings(path: Path, redirects_file: str = "config/redirections.yml") -> Settings:
    """``config/import.yml``; the redirect table is the one the plugin reads (mkdocs.yml)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data = data or {}
    types = data.get("types") or {}
    return Settings(
        selectors=[str(s) for s in data.get("contenu") or []],
        media_folder=str(data.get("medias") or "content/medias/ancien-portail").strip("/"),
        redirects_file=redirects_file,
        address_words={name: {_fold(str(w)) for w in (spec or {}).get("adresses") or []} for name, spec in types.items()},
        aliases={name: {_fold(str(k)): str(v) for k, v in ((spec or {}).get("libelles") or {}).items()} for name, spec in types.items()},
        defaults={name: dict((spec or {}).get("defauts") or {}) for name, spec in types.items()},
    )


@dataclass(slots=True)
class PagePlan:
    source: Path  # the saved page
    rel: str  # its path inside the imported folder
    page: LegacyPage
    old_url: str  # old path (and query), from the site root: "/initiatives/fiche.php?id=12"
    ctype: ContentType | None = None
    slug: str = ""
    target: Path | None = None  # the content file to write
    url: str = ""  # new page URL, relative to the site root


@dataclass(slots=True)
class Outcome:
    rel: str
    old_url: str
    status: str  # "importé", "existant", "non classé"
    file: str = ""
    type: str = ""
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    redirects_added: int = 0
    redirect_conflicts: list[str] = field(default_factory=list)
    media_copied: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != "importé"]


def _singular(folded: str) -> str:
    return " ".join(w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in folded.split())


class Importer:
    def __init__(self, declaration: Declaration, settings: Settings, out_root: Path, base_url: str = "",
                 forced_type: str | None = None, territories: TerritoryIndex | None = None) -> None:
        self.declaration = declaration
        self.settings = settings
        self.out_root = out_root.resolve()
        self.base_url = base_url
        self.forced = declaration.types[forced_type] if forced_type else None
        self.territories = territories or TerritoryIndex.load()
        self.titles = self._existing_titles()

    # -- pass 1: read and plan ---------------------------------------------

    def plan(self, folder: Path) -> list[PagePlan]:
        plans = []
        taken: set[Path] = set()
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in HTML_SUFFIXES):
            rel = path.relative_to(folder).as_posix()
            page = read_page(path.read_bytes(), self.settings.selectors[0] if self.settings.selectors else None, self._is_known_label)
            plan = PagePlan(source=path, rel=rel, page=page, old_url=self._old_url(page, rel))
            plan.ctype = self.forced or self._classify(plan)
            if plan.ctype is not None:
                base = _short_slug(page.title) or _short_slug(PurePosixPath(rel).stem) or "page"
                slug, number = base, 1
                while (self.out_root / plan.ctype.folder / f"{slug}.md") in taken:
                    number += 1
                    slug = f"{base}-{number}"
                plan.slug = slug
                plan.target = self.out_root / plan.ctype.folder / f"{slug}.md"
                taken.add(plan.target)
                plan.url = self._new_url(plan)
            plans.append(plan)
        return plans

    def _old_url(self, page: LegacyPage, rel: str) -> str:
        address = page.saved_from or urljoin(self.base_url or "/", rel)
        parts = urlsplit(address)
        path = parts.path if parts.path.startswith("/") else "/" + parts.path
        return path + (f"?{parts.query}" if parts.query else "")

    def _new_url(self, plan: PagePlan) -> str:
        from .content import Item

        assert plan.ctype is not None and plan.target is not None
        source = plan.target.relative_to(self.out_root).as_posix()
        fake = Item(type=plan.ctype.name, slug=plan.slug, source=source, data={}, body="", body_line=1, draft=True, title="")
        return item_url(plan.ctype, fake)

    def _classify(self, plan: PagePlan) -> ContentType | None:
        words = {_fold(w) for w in re.split(r"[/._?=&-]+", plan.old_url.lower() + "/" + plan.rel.lower()) if w}
        words |= {_singular(w) for w in words}
        for name, known in self.settings.address_words.items():
            if name in self.declaration.types and words & known:
                return self.declaration.types[name]
        scores = {}
        for ctype in self.declaration.types.values():
            if "{chemin}" in ctype.url:
                continue
            scores[ctype.name] = sum(1 for b in plan.page.blocks if self.field_for(ctype, b.label) is not None)
        best = max(scores.values(), default=0)
        winners = [n for n, s in scores.items() if s == best]
        return self.declaration.types[winners[0]] if best >= 2 and len(winners) == 1 else None

    def _is_known_label(self, label: str) -> bool:
        return any(self.field_for(ctype, label) is not None for ctype in self.declaration.types.values())

    def field_for(self, ctype: ContentType, label: str) -> FieldSpec | None:
        folded = _fold(label)
        alias = self.settings.aliases.get(ctype.name, {}).get(folded)
        if alias in ctype.fields:
            return ctype.fields[alias]
        for spec in ctype.fields.values():
            names = {_fold(spec.name.replace("_", " ")), _fold(spec.label)}
            if folded in names or _singular(folded) in {_singular(n) for n in names}:
                return spec
        return None

    # -- pass 2: map and write ---------------------------------------------

    def run(self, folder: Path, *, dry_run: bool = False) -> Report:
        report = Report()
        plans = self.plan(folder)
        new_urls = {p.rel: p for p in plans if p.ctype is not None}
        redirects: list[tuple[str, str]] = []
        for plan in plans:
            if plan.ctype is None:
                report.outcomes.append(Outcome(plan.rel, plan.old_url, "non classé", notes=[
                    "type introuvable : ni l'adresse ni les libellés de la page ne désignent un type ; relancez avec --type"
                ]))
                continue
            assert plan.target is not None
            outcome = Outcome(plan.rel, plan.old_url, "importé", file=plan.target.relative_to(self.out_root).as_posix(), type=plan.ctype.name)
            if plan.target.exists():
                outcome.status = "existant"
                outcome.notes.append(f"le fichier {outcome.file} existe déjà : il n'a pas été modifié")
                report.outcomes.append(outcome)
                continue
            meta, notes = self.map_fields(plan)
            body = self.body(plan, new_urls, notes, report, dry_run)
            if notes:
                meta["a_verifier"] = notes
            outcome.notes = notes
            post = frontmatter.Post(body, **meta)
            text = frontmatter.dumps(post, sort_keys=False, width=100) + "\n"
            if not dry_run:
                plan.target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with plan.target.open("x", encoding="utf-8", newline="\n") as handle:
                        handle.write(text)
                except FileExistsError:
                    outcome.status = "existant"
                    outcome.notes = [f"le fichier {outcome.file} existe déjà : il n'a pas été modifié"]
                    report.outcomes.append(outcome)
                    continue
            redirects.append((plan.old_url, outcome.file))
            report.outcomes.append(outcome)
        if not dry_run:
            self._merge_redirects(redirects, report)
        return report

    def map_fields(self, plan: PagePlan) -> tuple[dict, list[str]]:
        ctype, page = plan.ctype, plan.page
        assert ctype is not None and plan.target is not None
        ctx = FieldContext(root=self.declaration.root, file_dir=plan.target.parent, declaration=self.declaration, territories=self.territories)
        values: dict[str, object] = {ctype.title_field: page.title}
        notes: list[str] = []
        for block in page.blocks:
            spec = self.field_for(ctype, block.label)
            if spec is None:
                notes.append(f"« {block.label} » : « {_one_line(block.text)} » — aucun champ ne correspond")
                continue
            if spec.name in values:
                notes.append(f"« {block.label} » : « {_one_line(block.text)} » — le champ « {spec.name} » est déjà rempli")
                continue
            value, extra = self._convert(spec, block, ctype, ctx, notes)
            if value not in (None, [], {}):
                values[spec.name] = value
            for name, other in extra.items():
                values.setdefault(name, other)
        for name, date_text, label in (("date", page.published, "Publié le"), ("mis_a_jour", page.updated, "Mis à jour le")):
            spec = ctype.fields.get(name)
            if date_text and spec is not None and name not in values:
                value, _ = self._convert(spec, LabelBlock(label, date_text), ctype, ctx, notes)
                if value:
                    values[name] = value
        resume = ctype.fields.get("resume")
        if resume is not None and "resume" not in values:
            text = page.description or _first_paragraph(page)
            if text:
                values["resume"] = _shorten(text, resume.max_chars or 400)
                if not page.description:
                    notes.append("« Résumé » repris du début du texte : à reformuler")
        for name, default in self.settings.defaults.get(ctype.name, {}).items():
            if name in ctype.fields and name not in values:
                values[name] = default
                notes.append(f"« {ctype.fields[name].label} » : « {default} » donné par défaut, la page n'en disait rien")
        for spec in ctype.fields.values():
            if spec.required and spec.name not in values:
                notes.append(f"« {spec.label} » ({spec.name}) est obligatoire et la page ne le donne pas : à compléter")
        ordered = {name: values[name] for name in ctype.fields if name in values}
        ordered["brouillon"] = True
        return ordered, notes

    def _convert(self, spec: FieldSpec, block: LabelBlock, ctype: ContentType, ctx: FieldContext, notes: list[str]) -> tuple[object, dict]:
        extra: dict[str, object] = {}
        if spec.kind == "liste" and spec.item is not None:
            item = spec.item
            if item.kind == "objet":
                parts = [line for line in block.text.split("\n") if line.strip()]
                found = [self._object(item, LabelBlock(block.label, p, block.links), ctx, notes) for p in parts]
                return [f for f in found if f], extra
            out = []
            for piece in (p for p in LIST_SPLIT.split(block.text) if p.strip()):
                value = self._scalar(item, piece.strip(), block, ctx, notes)
                if value is not None and value not in out:
                    out.append(value)
            return out, extra
        if spec.kind == "objet":
            return self._object(spec, block, ctx, notes), extra
        if spec.kind == "date_heure":
            start, end = _french_datetimes(block.text)
            if start is None:
                notes.append(_note(block, f"date non reconnue pour « {spec.name} »"))
                return None, extra
            after = next((s for s in ctype.fields.values() if s.after == spec.name and s.kind == "date_heure"), None)
            if end and after is not None:
                extra[after.name] = end
            return start, extra
        return self._scalar(spec, block.text, block, ctx, notes), extra

    def _scalar(self, spec: FieldSpec, text: str, block: LabelBlock, ctx: FieldContext, notes: list[str]) -> object:
        text = " ".join(text.split())
        candidate: object = text
        if spec.kind == "date":
            candidate = _french_date(text)
        elif spec.kind == "url":
            link = next((l for l in block.links if l.startswith(("http://", "https://"))), None)
            candidate = link or ("http://" + text if text.startswith("www.") else text)
        elif spec.kind == "email":
            match = EMAIL.search(" ".join([text, *block.links]))
            candidate = match.group(0) if match else text
        elif spec.kind == "telephone":
            match = PHONE.search(text)
            candidate = match.group(0) if match else text
        elif spec.kind == "terme":
            vocabulary = self.declaration.vocabularies[spec.vocabulary or ""]
            term = _lookup_term(vocabulary, text)
            candidate = term if term else text
        elif spec.kind == "territoire":
            match = POSTCODE.search(text)
            if match:
                candidate = f"{match.group(2)} ({match.group(1)[:2]})"
        elif spec.kind in ("reference", "reference_ou_texte"):
            slug = self.titles.get((spec.target or "", _fold(text)))
            if slug:
                return slug
            if spec.kind == "reference":
                notes.append(_note(block, f"aucun contenu « {spec.target} » n'a ce titre"))
                return None
        elif spec.kind in ("image", "fichier", "coordonnees"):
            notes.append(_note(block, "non repris automatiquement"))
            return None
        if candidate is None:
            notes.append(_note(block, f"valeur non reconnue pour « {spec.name} »"))
            return None
        validator = SCALAR_VALIDATORS.get(spec.kind)
        try:
            if validator is not None:
                validator(candidate, spec, ctx)
        except FieldError as error:
            problem = make_problem(error.code, file="", **error.params)
            hint = f" ; {problem.hint}" if problem.hint else ""
            notes.append(_note(block, problem.message + hint))
            return None
        return candidate

    def _object(self, spec: FieldSpec, block: LabelBlock, ctx: FieldContext, notes: list[str]) -> dict | None:
        parts = [p.strip() for p in PART_SPLIT.split(block.text) if p.strip()]
        result: dict[str, object] = {}
        sub = spec.fields or {}
        rest = []
        for part in parts:
            email = EMAIL.search(part)
            phone = PHONE.search(part)
            if email and any(s.kind == "email" for s in sub.values()):
                result.setdefault(next(n for n, s in sub.items() if s.kind == "email"), email.group(0))
            elif phone and any(s.kind == "telephone" for s in sub.values()):
                result.setdefault(next(n for n, s in sub.items() if s.kind == "telephone"), phone.group(0))
            else:
                rest.append(part)
        for name, s in sub.items():
            if s.kind == "territoire":
                for part in reversed(rest):
                    value = self._quiet(s, part, block, ctx)
                    if value is not None:
                        result[name] = value
                        break
            elif s.kind == "texte" and s.pattern:
                for part in rest:
                    match = re.search(s.pattern.strip("^$"), part)
                    if match:
                        result[name] = match.group(0)
                        break
        texts = [n for n, s in sub.items() if s.kind in ("texte", "reference_ou_texte") and not s.pattern and n not in result]
        if texts and rest:
            result[texts[0]] = self._scalar(sub[texts[0]], rest[0], block, ctx, notes) or rest[0]
            if len(texts) > 1 and len(rest) > 1:
                result[texts[1]] = ", ".join(rest[1:])
            elif len(rest) > 1:
                notes.append(_note(block, f"« {', '.join(rest[1:])} » non repris dans « {spec.name} »"))
        missing = [n for n, s in sub.items() if s.required and n not in result]
        if missing:
            notes.append(_note(block, f"« {spec.name} » incomplet : {', '.join(missing)} manquant"))
            return None
        return {name: result[name] for name in sub if name in result} or None

    def _quiet(self, spec: FieldSpec, text: str, block: LabelBlock, ctx: FieldContext) -> object:
        return self._scalar(spec, text, block, ctx, [])

    def body(self, plan: PagePlan, plans: dict[str, PagePlan], notes: list[str], report: Report, dry_run: bool) -> str:
        content = plan.page.content
        assert plan.target is not None
        page_dir = plan.source.parent
        folder_root = plan.source.parents[len(PurePosixPath(plan.rel).parts) - 1]
        for img in content.find_all("img"):
            src = str(img.get("src") or "").strip()
            found = (page_dir / unquote(urlsplit(src).path)).resolve() if src and not urlsplit(src).scheme else None
            if found is None or not found.is_file() or folder_root.resolve() not in found.parents:
                notes.append(f"image « {src} » introuvable à côté de la page : retirée du texte")
                img.decompose()
                continue
            media = self._copy_media(found, found.relative_to(folder_root.resolve()).as_posix(), report, notes, dry_run)
            img["src"] = PurePosixPath(os.path.relpath(media, plan.target.parent)).as_posix()
            if not img.get("alt"):
                notes.append(f"image « {src} » sans texte alternatif : décrivez-la (ou marquez-la décorative)")
        for link in content.find_all("a", href=True):
            href = str(link["href"]).strip()
            parts = urlsplit(href)
            if parts.scheme in ("mailto", "tel") or href.startswith("#"):
                continue
            if parts.scheme in ("http", "https") and not (self.base_url and href.startswith(self.base_url)):
                continue
            target_rel = PurePosixPath(os.path.normpath(PurePosixPath(plan.rel).parent / unquote(parts.path))).as_posix()
            other = plans.get(target_rel)
            if other is not None:
                link["href"] = _relative_url(plan.url, other.url)
            elif self.base_url:
                link["href"] = urljoin(urljoin(self.base_url, plan.rel), href)
                notes.append(f"lien vers l'ancien site « {link['href']} » : à remplacer ou retirer")
            else:
                notes.append(f"lien « {href} » vers une page non importée : retiré, le texte est gardé")
                link.unwrap()
        return to_markdown(content)

    def _copy_media(self, found: Path, rel: str, report: Report, notes: list[str], dry_run: bool) -> Path:
        target = self.out_root / self.settings.media_folder / rel
        stem, suffix, number = target.stem, target.suffix, 1
        while target.exists() and not filecmp.cmp(target, found, shallow=False):
            number += 1
            target = target.with_name(f"{stem}-{number}{suffix}")
        if not target.exists() and not dry_run:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found, target)
            report.media_copied.append(target.relative_to(self.out_root).as_posix())
        return target

    def _merge_redirects(self, new: list[tuple[str, str]], report: Report) -> None:
        path = self.out_root / self.settings.redirects_file
        existing: dict = {}
        if path.is_file():
            existing = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        lines = []
        for old, target in new:
            key = old_path_key(old)
            current = next((v for k, v in existing.items() if old_path_key(str(k)) == key), None)
            if current is None:
                lines.append(f"{_quote(old)}: {_quote(target)}\n")
                existing[old] = target
                report.redirects_added += 1
            elif current != target:
                report.redirect_conflicts.append(f"{old} mène déjà à {current} (laissé tel quel ; {target} n'y est pas ajouté)")
        if not lines:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        header = "" if path.is_file() else REDIRECTS_HEADER
        with path.open("a", encoding="utf-8", newline="\n") as handle:
            handle.write(header + "".join(lines))

    def _existing_titles(self) -> dict[tuple[str, str], str]:
        """(type, folded title or slug) -> slug of the content already in the repository."""
        from .content import discover

        titles: dict[tuple[str, str], str] = {}
        for path in discover(self.declaration):
            ctype = self.declaration.type_for(path.relative_to(self.declaration.root).as_posix())
            if ctype is None:
                continue
            entry = read_entry(path, self.declaration.root)
            data = entry.data or {}
            slug = str(data.get("slug") or slugify(path.stem))
            titles[(ctype.name, _fold(slug))] = slug
            if isinstance(data.get(ctype.title_field), str):
                titles[(ctype.name, _fold(data[ctype.title_field]))] = slug
        return titles


REDIRECTS_HEADER = """\
# Redirections des anciennes adresses vers les nouvelles pages.
#
# Une ligne par ancienne adresse : « "ancien chemin": "nouvelle cible" ».
# L'ancien chemin part de la racine de l'ancien site, avec ses paramètres
# (« /initiatives/fiche.php?id=12 »). La cible est le fichier de contenu
# (« fiches/mon-initiative.md ») ou l'adresse d'une page du site
# (« agenda/ »). `portail importer` ajoute des lignes, sans jamais modifier
# celles qui existent ; la construction du site crée une page de redirection
# pour chacune et s'arrête si une cible n'existe pas.

"""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _note(block: LabelBlock, reason: str) -> str:
    return f"« {block.label} » : « {_one_line(block.text)} » — {reason}"


def _one_line(text: str) -> str:
    return " / ".join(line for line in text.split("\n") if line)


def _short_slug(text: str) -> str:
    slug = slugify(text)
    if len(slug) > SLUG_MAX:
        slug = slug[:SLUG_MAX].rsplit("-", 1)[0]
    return slug


def _lookup_term(vocabulary: Vocabulary, text: str) -> str | None:
    term = vocabulary.lookup(text)
    if term is not None:
        return term.key
    folded = _fold(text)
    for term in vocabulary.terms.values():
        if any(_fold(str(s)) == folded for s in term.extra.get("synonymes") or []):
            return term.key
    return None


def _french_date(text: str) -> str | None:
    """``15 mars 2016``, ``15/03/2016``, ``2016-03-15``, ``mars 2016``, ``2016`` -> ISO (partial)."""
    folded = _fold(text)
    match = DAY_MONTH_YEAR.search(folded)
    if match and match.group(2) in MONTHS:
        return f"{match.group(3)}-{MONTHS[match.group(2)]:02d}-{int(match.group(1)):02d}"
    match = NUMERIC_DATE.search(text)
    if match:
        return f"{match.group(3)}-{int(match.group(2)):02d}-{int(match.group(1)):02d}"
    match = ISO_DATE.search(text)
    if match:
        return match.group(0)
    match = MONTH_YEAR.search(folded)
    if match and match.group(1) in MONTHS:
        return f"{match.group(2)}-{MONTHS[match.group(1)]:02d}"
    match = YEAR.search(text)
    return match.group(1) if match else None


def _french_datetimes(text: str) -> tuple[str | None, str | None]:
    """A day with its start and end times: ``mardi 15 mars 2016 de 9h30 à 17h00``."""
    day = _french_date(text)
    if day is None or len(day) != 10:
        return day, None
    rest = DAY_MONTH_YEAR.sub(" ", _fold(text))
    rest = NUMERIC_DATE.sub(" ", rest)
    times = [f"{int(h):02d}:{int(m or 0):02d}" for h, m in TIME.findall(rest) if int(h) < 24]
    start = f"{day} {times[0]}" if times else day
    end = f"{day} {times[1]}" if len(times) > 1 else None
    return start, end


def _first_paragraph(page: LegacyPage) -> str:
    for node in page.content.find_all("p"):
        text = " ".join(node.get_text().split())
        if len(text) > 40:
            return text
    return " ".join(page.content.get_text().split())


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    sentence = cut.rfind(". ")
    if sentence > limit // 2:
        return cut[: sentence + 1]
    return cut.rsplit(" ", 1)[0] + "…"


def _relative_url(from_url: str, to_url: str) -> str:
    """A link from one page (directory URL) to another, valid under any site subpath."""
    return os.path.relpath("/" + to_url, "/" + from_url).replace(os.sep, "/") + ("/" if to_url.endswith("/") else "")


def validate_imported(report: Report, importer: Importer) -> None:
    """Run the real validator on every written file; record its messages."""
    from .content import Validator

    if importer.out_root != importer.declaration.root.resolve():
        return  # written elsewhere: the declaration's folders do not apply
    validator = Validator(importer.declaration, importer.territories)
    for outcome in report.outcomes:
        if outcome.status == "importé" and (importer.out_root / outcome.file).is_file():
            _, problems = validator.validate_file(importer.out_root / outcome.file)
            outcome.problems = [p.format_text() for p in problems]


def print_report(report: Report, importer: Importer, *, validate: bool = True) -> None:
    if validate:
        validate_imported(report, importer)
    imported = [o for o in report.outcomes if o.status == "importé"]
    for outcome in report.outcomes:
        if outcome.status == "importé":
            print(f"importé : {outcome.rel} ({outcome.old_url}) -> {outcome.file} [{outcome.type}, brouillon]")
        elif outcome.status == "existant":
            print(f"ignoré : {outcome.rel} -> {outcome.file} existe déjà, il n'a pas été modifié")
        else:
            print(f"non classé : {outcome.rel} — {outcome.notes[0]}")
        if outcome.status == "importé":
            for note in outcome.notes:
                print(f"    à vérifier : {note}")
            for problem in outcome.problems:
                print(f"    à corriger : {problem}")
    for conflict in report.redirect_conflicts:
        print(f"redirection inchangée : {conflict}")
    checks = sum(len(o.notes) for o in imported)
    invalid = sum(1 for o in imported if o.problems)
    print(
        f"\n{len(imported)} page(s) importée(s) en brouillon, {len(report.skipped)} ignorée(s), "
        f"{checks} point(s) à vérifier (champ « a_verifier »), {invalid} fichier(s) à corriger avant publication (portail validate), "
        f"{len(report.media_copied)} image(s) copiée(s), {report.redirects_added} redirection(s) ajoutée(s) "
        f"dans {importer.settings.redirects_file}."
    )
