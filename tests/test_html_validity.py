"""HTML validity: the Nu HTML Checker (vnu.jar, the W3C checker) over one page
of every page type, in a single Java run.

Needs a Java runtime and tests/browser/node_modules (``bash
scripts/setup_system.sh``); skipped without them, except in CI.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from sitebuild import PAGE_TYPES, VNU_JAR, built_site, require_tools, url_to_file  # noqa: F401


def run_vnu(files: list[Path]) -> list[dict]:
    """vnu's messages (errors only) for ``files``, as parsed from its JSON."""
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--errors-only", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=150,
    )
    try:
        report = json.loads(result.stderr)
    except json.JSONDecodeError:
        raise AssertionError(
            f"vnu did not print JSON (exit status {result.returncode}):\n{result.stderr[-3000:]}\n{result.stdout[-2000:]}"
        ) from None
    return report.get("messages", [])


def format_messages(messages: list[dict], site: Path, checked: int) -> str:
    """Messages grouped by page; those found on every checked page are listed once."""
    by_file: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for message in messages:
        path = Path(unquote(urlparse(message.get("url", "")).path))
        try:
            name = "/" + path.relative_to(site.resolve()).as_posix()
        except ValueError:
            name = str(path) or "(no file)"
        kind = message.get("type", "?") + (f"/{message['subType']}" if message.get("subType") else "")
        extract = " ".join(message.get("extract", "").split())
        text = f"{kind}: {message.get('message')}" + (f"\n      « {extract[:200]} »" if extract else "")
        where = f"line {message['lastLine']}" if "lastLine" in message else "no line"
        by_file[name].append((where, text))
    everywhere: set[str] = set()
    if checked > 1 and len(by_file) == checked:
        everywhere = set.intersection(*({text for _, text in entries} for entries in by_file.values()))
    out = [f"{len(messages)} HTML error(s) in {len(by_file)} of {checked} page(s):"]
    if everywhere:
        out.append(f"On every page ({checked}):")
        out.extend(f"  {text}" for text in sorted(everywhere))
    for name in sorted(by_file):
        rest = [(where, text) for where, text in by_file[name] if text not in everywhere]
        if rest:
            out.append(f"{name}:")
            out.extend(f"  {where}: {text}" for where, text in rest)
    return "\n".join(out)


def test_pages_are_valid_html(built_site):
    require_tools(vnu=True)
    files = [url_to_file(built_site, url) for url in PAGE_TYPES]
    missing = [str(f) for f in files if not f.is_file()]
    assert not missing, f"page files not found: {missing}"
    messages = [m for m in run_vnu(files) if m.get("type") in ("error", "non-document-error")]
    if messages:
        pytest.fail(format_messages(messages, built_site, len(files)), pytrace=False)
