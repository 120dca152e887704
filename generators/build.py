"""``portail build``: build with MkDocs in strict mode, elsewhere, then swap.

The previous ``site/`` is replaced only once the new build has succeeded, so
a failed build never leaves readers with half a site.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from datetime import date, datetime, time, timezone
from pathlib import Path

from .emit import swap_folder
from .project import Project
from .plugin import TODAY_ENV


class BuildFailed(Exception):
    pass


def build_site(project: Project, today: date | None = None, site_dir: Path | None = None) -> Path:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, MkDocsException

    target = (site_dir or project.root / "site").resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".site-", dir=target.parent))
    previous = {name: os.environ.get(name) for name in (TODAY_ENV, "SOURCE_DATE_EPOCH")}
    if today is not None:
        os.environ[TODAY_ENV] = today.isoformat()
        # MkDocs dates the sitemap (and its gzip header) from this: same day, same bytes.
        os.environ.setdefault("SOURCE_DATE_EPOCH", str(int(datetime.combine(today, time(0), timezone.utc).timestamp())))
    _quiet_mkdocs_logging()
    try:
        config = load_config(str(project.mkdocs_yml), site_dir=str(staging), strict=True)
        build(config)
    except (MkDocsException, Abort) as error:
        shutil.rmtree(staging, ignore_errors=True)
        # MkDocs' Abort says only "Aborted with a BuildError!" or "with N warnings
        # in strict mode!": the errors themselves are already logged above.
        cause = "" if isinstance(error, Abort) else f" ({error})"
        raise BuildFailed(f"la construction a échoué, le site publié n'a pas changé{cause}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    swap_folder(staging, target)
    return target


def _quiet_mkdocs_logging() -> None:
    """Show MkDocs' warnings and errors (French ones from the plugin included)."""
    logger = logging.getLogger("mkdocs")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
