"""活用事例 (secondary uses, 二次利用): the registry behind ckanext-showcase's actions.

A reuse is a ckanext-showcase *showcase* (a package with ``type='showcase'``,
linked to the datasets it uses by ``showcase_package_association``), plus one
``reuse`` row of this module: its kind, its moderation state and an optional
contact. Modelled on udata's reuses (a title, a URL, a type, the datasets it
uses), with moderation added.

- **Kinds** (``reuse_type``): ``app``, ``visualization``, ``article``, ``api``,
  ``service``, ``other`` (udata's application / visualization / news_article +
  paper + post / api, plus ``service`` for a commercial or public service that
  consumes the data, e.g. a routing service).
- **URL**: an absolute http(s) URL, unique among reuses that are not deleted.
  Two URLs are the same reuse when they differ only in the scheme (http/https),
  the case of the host, a default port, a trailing slash or a fragment
  (``url_key``). ``ckanext_showcase_create`` keeps ckanext-showcase's contract
  (URL and dataset links optional, links added afterwards); ``reuse_create``
  requires both; an entry cannot be approved without both.
- **Moderation**: ``pending`` (new) → ``approved`` or ``rejected`` (and back:
  an approved entry can be rejected later, a rejected one approved). An entry
  is public only once approved. Pending and rejected showcases are stored with
  ``package.private = True`` (they have no organization, or their own), so
  every read path that already hides private packages (package_show,
  package_search, DCAT) hides them too; ``reuse_moderate`` is the only way to
  change that flag on a showcase (``schema.showcase_private`` keeps it on
  create and update). The showcase actions filter on the moderation state.
- **Who moderates**: sysadmins, and admins of an organization owning one of the
  datasets the reuse links (the data owner vouches for the use of its data);
  see ``kokai.catalog.auth.showcase``.
- **Contact**: kept for the moderators (who to ask about the entry); never in a
  package dict, only in ``reuse_list`` for those who may moderate the entry.
- **二次利用件数**: approved, active reuses; per dataset, the approved reuses
  linking it (``approved_counts``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import DateTime, ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kokai.catalog.errors import NotFound
from kokai.catalog.lookups import get_showcase
from kokai.catalog.models import Base, Package, ShowcasePackageAssociation, utcnow

REUSE_TYPES = ("app", "visualization", "article", "api", "service", "other")
REUSE_TYPE_LABELS = {
    "app": "アプリ",
    "visualization": "可視化",
    "article": "記事・論文",
    "api": "API",
    "service": "サービス",
    "other": "その他",
}
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
MODERATION_STATES = (PENDING, APPROVED, REJECTED)
MODERATION_LABELS = {PENDING: "承認待ち", APPROVED: "承認済み", REJECTED: "却下"}


class Reuse(Base):
    """What a showcase is as a reuse: its kind, moderation and contact."""

    __tablename__ = "reuse"

    showcase_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("package.id", ondelete="CASCADE"), primary_key=True
    )
    reuse_type: Mapped[str] = mapped_column(String(20), nullable=False, default="other")
    moderation_state: Mapped[str] = mapped_column(
        String(20), nullable=False, default=PENDING, index=True
    )
    contact: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    moderated: Mapped[datetime | None] = mapped_column(DateTime)
    moderated_by: Mapped[str | None] = mapped_column(String(100))


# ---------------------------------------------------------------- URLs


def is_web_url(value: str) -> bool:
    """An absolute http:// or https:// URL with a host."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def url_key(value: str) -> str:
    """The URL as compared for uniqueness: no scheme, lower-case host, no
    default port, no trailing slash, no fragment; the query is kept."""
    parts = urlsplit(value.strip())
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


def showcase_with_url(session: Session, url: str, exclude_id: str | None = None) -> Package | None:
    """The showcase (not deleted) whose URL is the same as `url` (``url_key``)."""
    if not is_web_url(url):
        return None
    wanted = url_key(url)
    host = (urlsplit(url.strip()).hostname or "").lower()
    rows = session.execute(
        select(Package.id, Package.url).where(
            Package.type == "showcase",
            Package.state != "deleted",
            Package.url.is_not(None),
            func.lower(Package.url).contains(host, autoescape=True),
        )
    )
    for package_id, other in rows:
        if package_id != exclude_id and other and is_web_url(other) and url_key(other) == wanted:
            return session.scalar(select(Package).where(Package.id == package_id))
    return None


def find_reuse(session: Session, ref: str) -> Package:
    """An active showcase by id, name or URL; NotFound otherwise."""
    if is_web_url(ref):
        found = showcase_with_url(session, ref)
        if found is None or found.state != "active":
            raise NotFound("Showcase not found")
        ref = found.id
    return get_showcase(session, ref)


# ---------------------------------------------------------------- rows


def reuse_of(session: Session, showcase: Package) -> Reuse:
    """The reuse row of a showcase, created (pending, kind other) when missing:
    a showcase made with package_create(type='showcase') has none yet."""
    row = session.get(Reuse, showcase.id)
    if row is None:
        row = Reuse(
            showcase_id=showcase.id,
            reuse_type="other",
            moderation_state=PENDING if showcase.private else APPROVED,
            created=showcase.metadata_created or utcnow(),
        )
        session.add(row)
    return row


def moderation_info(session: Session, ids: Iterable[str]) -> dict[str, Reuse]:
    """{showcase id: Reuse row} of those that have one."""
    ids = list(ids)
    if not ids:
        return {}
    return {
        r.showcase_id: r for r in session.scalars(select(Reuse).where(Reuse.showcase_id.in_(ids)))
    }


def state_of(row: Reuse | None, private: bool) -> str:
    """The moderation state; a showcase without a row is pending when private."""
    if row is not None:
        return row.moderation_state
    return PENDING if private else APPROVED


def linked_datasets(session: Session, showcase_ids: Iterable[str]) -> dict[str, list[Package]]:
    """{showcase id: its active linked datasets (packages of type dataset), by name}."""
    ids = list(showcase_ids)
    out: dict[str, list[Package]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.execute(
        select(ShowcasePackageAssociation.showcase_id, Package)
        .join(Package, Package.id == ShowcasePackageAssociation.package_id)
        .where(
            ShowcasePackageAssociation.showcase_id.in_(ids),
            Package.state == "active",
            Package.type == "dataset",
        )
        .order_by(Package.name)
    )
    for showcase_id, package in rows:
        out[showcase_id].append(package)
    return out


def approved_filter():
    """SQL conditions of a counted reuse: an active showcase approved by moderation."""
    return (
        Package.type == "showcase",
        Package.state == "active",
        Reuse.moderation_state == APPROVED,
    )


def approved_counts(session: Session) -> tuple[int, dict[str, int], dict[str, int]]:
    """二次利用件数: (approved reuses, {reuse_type: n}, {dataset id: approved reuses linking it})."""
    by_type = {kind: 0 for kind in REUSE_TYPES}
    rows = session.execute(
        select(Reuse.reuse_type, func.count())
        .join(Package, Package.id == Reuse.showcase_id)
        .where(*approved_filter())
        .group_by(Reuse.reuse_type)
    )
    for kind, count in rows:
        by_type[kind] = by_type.get(kind, 0) + int(count)
    by_dataset = dict(
        session.execute(
            select(ShowcasePackageAssociation.package_id, func.count())
            .join(Package, Package.id == ShowcasePackageAssociation.showcase_id)
            .join(Reuse, Reuse.showcase_id == ShowcasePackageAssociation.showcase_id)
            .where(*approved_filter())
            .group_by(ShowcasePackageAssociation.package_id)
        ).all()
    )
    return sum(by_type.values()), by_type, {k: int(v) for k, v in by_dataset.items()}


def approved_between(session: Session, start: datetime, end: datetime) -> int:
    """Approved reuses whose (last) approval falls in [start, end)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Reuse)
            .join(Package, Package.id == Reuse.showcase_id)
            .where(*approved_filter(), Reuse.moderated >= start, Reuse.moderated < end)
        )
        or 0
    )
