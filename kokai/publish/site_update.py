"""After a publish or a rollback: the public site's pages that the change
touches, when the site has been built here before (`kokai site build`).
A city that never built its site here gets nothing, and publishing alone then
imports nothing of the site builder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kokai.config import Config

if TYPE_CHECKING:
    from kokai.site.build import BuildReport


def update_site(config: Config) -> BuildReport | None:
    """The incremental build's report, or None when no site was built here.
    Raises KokaiError when the site cannot be built; the publish itself is done
    by then, so callers say so rather than report a failed publish."""
    from kokai.site.output import default_state_dir

    if not default_state_dir(Path(config.site_dir).resolve()).is_dir():
        return None
    from kokai.site.build import SiteBuilder

    return SiteBuilder(config, config.site_dir).build()
