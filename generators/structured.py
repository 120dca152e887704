"""schema.org JSON-LD for each item, as plain data (templates serialise it)."""

from __future__ import annotations

from urllib.parse import urljoin

from .content import Item
from .values import DateTimeValue, Name, PartialDate, Reference

ATTENDANCE = {
    "presentiel": "https://schema.org/OfflineEventAttendanceMode",
    "distanciel": "https://schema.org/OnlineEventAttendanceMode",
    "hybride": "https://schema.org/MixedEventAttendanceMode",
}


def _clean(data: dict) -> dict:
    """Drop empty values so the output says only what is known."""
    result = {}
    for key, value in data.items():
        if isinstance(value, dict):
            value = _clean(value)
        elif isinstance(value, list):
            value = [_clean(v) if isinstance(v, dict) else v for v in value if v not in (None, "", [], {})]
        if value not in (None, "", [], {}):
            result[key] = value
    return result


def _date(value: object) -> str | None:
    if isinstance(value, DateTimeValue):
        return value.start().isoformat() if value.at else value.day.isoformat()
    if isinstance(value, PartialDate):
        return value.iso()
    return None


def _organisations(values: list, links, site_url: str) -> list[dict]:
    found = []
    for value in values or []:
        if isinstance(value, Reference):
            href = links.url(value)
            found.append({"@type": "Organization", "name": links.title(value), "url": urljoin(site_url, href) if href is not None else None})
        elif isinstance(value, Name):
            found.append({"@type": "Organization", "name": value.text})
    return found


def _places(item: Item) -> list[dict]:
    return [{"@type": "AdministrativeArea", "name": t.name, "identifier": t.code} for t in item.data.get("territoires") or []]


def jsonld(item: Item, url: str, site_url: str, links) -> dict:
    """The JSON-LD object of an item page; ``url`` is absolute."""
    data = item.data
    base = {
        "@context": "https://schema.org",
        "url": url,
        "mainEntityOfPage": url,
        "name": item.title,
        "description": data.get("resume"),
        "inLanguage": "fr",
    }
    if item.type == "evenement":
        lieu = data.get("lieu") or {}
        place = {
            "@type": "Place",
            "name": lieu.get("nom"),
            "address": {"@type": "PostalAddress", "streetAddress": lieu.get("adresse"), "addressLocality": lieu["commune"].name if lieu.get("commune") else None, "addressCountry": "FR"},
        }
        fmt = data.get("format")
        location = {"@type": "VirtualLocation", "url": data.get("inscription") or url} if fmt and fmt.key == "distanciel" else place
        base.update(
            {
                "@type": "Event",
                "startDate": _date(data.get("date")),
                "endDate": _date(data.get("date_fin")),
                "eventAttendanceMode": ATTENDANCE.get(fmt.key) if fmt else None,
                "eventStatus": "https://schema.org/EventScheduled",
                "location": location,
                "organizer": _organisations(data.get("organisateurs"), links, site_url),
            }
        )
    elif item.type == "acteur":
        adresse = data.get("adresse") or {}
        base.update(
            {
                "@type": "Organization",
                "url": data.get("site_web") or url,
                "telephone": data["telephone"].e164 if data.get("telephone") else None,
                "identifier": {"@type": "PropertyValue", "propertyID": "SIRET", "value": data["siret"]} if data.get("siret") else None,
                "address": {
                    "@type": "PostalAddress",
                    "streetAddress": adresse.get("rue"),
                    "postalCode": adresse.get("code_postal"),
                    "addressLocality": adresse["commune"].name if adresse.get("commune") else None,
                    "addressCountry": "FR",
                },
                "areaServed": _places(item),
            }
        )
    elif item.type == "actualite":
        base.update(
            {
                "@type": "NewsArticle",
                "headline": item.title,
                "datePublished": _date(data.get("date")),
                "dateModified": _date(data.get("mis_a_jour")),
                "author": {"@type": "Person", "name": data.get("auteur")} if data.get("auteur") else None,
            }
        )
    elif item.type == "dispositif":
        plafonds = data.get("plafonds") or []
        base.update(
            {
                "@type": "MonetaryGrant",
                "funder": _organisations(data.get("financeurs"), links, site_url),
                "amount": {"@type": "MonetaryAmount", "currency": "EUR", "maxValue": max(p["montant"] for p in plafonds)} if plafonds else None,
                "sameAs": data.get("lien_officiel"),
                "areaServed": _places(item),
            }
        )
    elif item.type in ("ressource", "fiche"):
        authors = data.get("auteurs") or ([data["porteur"]] if data.get("porteur") else [])
        base.update(
            {
                "@type": "CreativeWork",
                "author": _organisations(authors, links, site_url),
                "datePublished": _date(data.get("date") or data.get("date_debut")),
                "dateModified": _date(data.get("mis_a_jour")),
                "about": [t.label for t in data.get("thematiques") or []],
                "spatialCoverage": _places(item),
                "isPartOf": {"@type": "CreativeWork", "name": links.title(data["guide"]), "url": urljoin(site_url, links.url(data["guide"]) or "")} if data.get("guide") else None,
            }
        )
    else:
        base["@type"] = "WebPage"
    return _clean(base)
