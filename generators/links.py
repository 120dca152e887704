"""``portail liens``: find the external links of the content and check them.

Partners' websites move and die; this runs weekly in CI. Links are collected
from the raw front matter (every value that is an absolute http(s) address,
so a URL field added to the declaration is covered without a list in code)
and from the Markdown bodies, each with its file and line. Every distinct
address is checked once, concurrently, with a HEAD request and a GET when the
server refuses HEAD.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import httpx

from .content import discover
from .declaration import Declaration
from .source import FieldPath, RawEntry, format_path, read_entry

USER_AGENT = "portail-liens/1.0 (weekly link check of a network's website{contact})"
DEFAULT_TIMEOUT = 15.0
DEFAULT_CONCURRENCY = 8
# Statuses that say "slow down" or "no robots", not "gone": never reported as dead.
NOT_DEAD = frozenset({401, 403, 429, 999})
# A server that does not implement HEAD (or forbids it) is asked again with GET.
RETRY_WITH_GET = frozenset({403, 404, 405, 406, 429, 500, 501, 502, 503})

_URL_RE = re.compile(r"https?://[^\s<>\"'`\]\[)(]+(?:\([^\s<>\"'`()]*\)[^\s<>\"'`\]\[)(]*)*", re.IGNORECASE)
_TRAILING = ".,;:!?*_"


@dataclass(frozen=True, slots=True)
class Link:
    """One external address as written in one place of the content."""

    url: str
    file: str  # posix path relative to the repository root
    line: int
    field: str  # dotted field path, or "" for the Markdown body


@dataclass(frozen=True, slots=True)
class Check:
    """What became of one address."""

    url: str
    dead: bool
    status: int | None  # final HTTP status, None when no answer
    reason: str  # French, for the report


def collect_links(declaration: Declaration) -> list[Link]:
    """Every external link of every content file, in file and line order."""
    links: list[Link] = []
    for path in discover(declaration):
        entry = read_entry(path, declaration.root)
        links.extend(_front_matter_links(entry))
        links.extend(_body_links(entry))
    return sorted(links, key=lambda link: (link.file, link.line, link.url))


def _front_matter_links(entry: RawEntry) -> Iterable[Link]:
    def walk(value: object, path: FieldPath) -> Iterable[Link]:
        if isinstance(value, dict):
            for key, inner in value.items():
                yield from walk(inner, (*path, key))
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                yield from walk(inner, (*path, index))
        elif isinstance(value, str) and _URL_RE.fullmatch(value.strip()):
            yield Link(value.strip(), entry.rel, entry.position(path)[0], format_path(path))

    return walk(entry.data or {}, ())


def _body_links(entry: RawEntry) -> Iterable[Link]:
    for offset, text in enumerate(entry.body.splitlines()):
        for match in _URL_RE.finditer(text):
            url = match.group(0).rstrip(_TRAILING)
            yield Link(url, entry.rel, entry.body_line + offset, "")


async def _check_one(client: httpx.AsyncClient, limit: asyncio.Semaphore, url: str) -> Check:
    async with limit:
        try:
            response = await client.head(url)
            if response.status_code in RETRY_WITH_GET:
                async with client.stream("GET", url) as streamed:
                    response = streamed  # the status is enough: the body is never read
        except httpx.TimeoutException:
            return Check(url, True, None, "pas de réponse dans le délai")
        except httpx.TooManyRedirects:
            return Check(url, True, None, "trop de redirections")
        except httpx.HTTPError as error:
            return Check(url, True, None, _explain(error))
    status = response.status_code
    if status >= 400 and status not in NOT_DEAD:
        return Check(url, True, status, f"erreur {status}{_status_words(status)}")
    return Check(url, False, status, "ok")


async def _check_all(urls: list[str], timeout: float, concurrency: int, user_agent: str) -> list[Check]:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=10,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": user_agent, "Accept": "text/html,*/*;q=0.8"},
        limits=httpx.Limits(max_connections=concurrency),
    ) as client:
        return await asyncio.gather(*(_check_one(client, limit, url) for url in urls))


def check_urls(
    urls: Iterable[str],
    timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
    site_url: str | None = None,
) -> dict[str, Check]:
    """Check each distinct address once; the result is keyed by address.

    The User-Agent names the site, so that a partner's webmaster who sees the
    requests knows who is asking."""
    distinct = sorted(set(urls))
    user_agent = USER_AGENT.format(contact=f"; +{site_url}" if site_url else "")
    return {check.url: check for check in asyncio.run(_check_all(distinct, timeout, concurrency, user_agent))}


def dead_links(links: list[Link], checks: dict[str, Check]) -> list[tuple[Link, Check]]:
    return [(link, checks[link.url]) for link in links if checks[link.url].dead]


def _summary(dead: list[tuple[Link, Check]], checked: int) -> str:
    addresses = len({link.url for link, _ in dead})
    return f"{addresses} adresse(s) morte(s) sur {checked} vérifiée(s), citée(s) à {len(dead)} endroit(s)"


def format_text(dead: list[tuple[Link, Check]], checked: int) -> str:
    lines = [f"{link.file}:{link.line}: {_where(link)}{link.url} — {check.reason}" for link, check in dead]
    if dead:
        lines.append(f"\n{_summary(dead, checked)}.")
    else:
        lines.append(f"Aucun lien mort : {checked} adresse(s) externe(s) vérifiée(s).")
    return "\n".join(lines) + "\n"


def format_markdown(dead: list[tuple[Link, Check]], checked: int, today: date) -> str:
    lines = ["# Liens externes morts", ""]
    if not dead:
        lines.append(f"Aucun lien mort : {checked} adresse(s) externe(s) vérifiée(s) le {today.isoformat()}.")
        return "\n".join(lines) + "\n"
    lines += [
        f"{_summary(dead, checked)} ; vérification du {today.isoformat()}.",
        "",
        "Corrigez l'adresse dans le fichier indiqué (ou retirez-la si le site a disparu), puis proposez la modification.",
        "",
        "| Fichier | Ligne | Champ | Adresse | Problème |",
        "| --- | --- | --- | --- | --- |",
    ]
    for link, check in dead:
        lines.append(f"| `{link.file}` | {link.line} | {_cell(link.field or 'texte')} | <{link.url}> | {_cell(check.reason)} |")
    return "\n".join(lines) + "\n"


def _where(link: Link) -> str:
    return f"{link.field} : " if link.field else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _explain(error: Exception) -> str:
    """The usual network failures in French; others keep the library's words."""
    text = str(error)
    if "Name or service not known" in text or "nodename nor servname" in text or "No address associated" in text:
        return "nom de domaine introuvable"
    if "Connection refused" in text or "All connection attempts failed" in text:
        return "connexion impossible"
    if "CERTIFICATE" in text.upper() or "SSL" in text:
        return "certificat de sécurité invalide"
    return f"site injoignable ({_short(error)})"


def _short(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text if len(text) <= 80 else text[:77] + "..."


_STATUS_WORDS = {404: "page introuvable", 410: "page supprimée", 500: "erreur du serveur", 502: "passerelle en erreur", 503: "service indisponible"}


def _status_words(status: int) -> str:
    words = _STATUS_WORDS.get(status)
    return f" ({words})" if words else ""
