"""The site's outputs as units (kokai/site/output.py): which pages exist, what
each depends on (its key), and how it is rendered."""

from __future__ import annotations

import hashlib
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any

from kokai.errors import KokaiError
from kokai.site import listing, machine_files
from kokai.site.catalog_reader import CatalogReader
from kokai.site.dataset_page import dataset_files
from kokai.site.fragments import FragmentStore
from kokai.site.gtfs_pages import gtfs_site
from kokai.site.metrics_page import metrics_page
from kokai.site.output import Files, Unit, key_of
from kokai.site.render import SiteInfo, SiteRenderer, ja_date
from kokai.site.search_index import SearchDoc
from kokai.site.summary import is_overdue, newest_first
from kokai.vocab.gtfs import feed_resource

HOME_LISTS = 8  # datasets in each list of the home page
ATOM_ENTRIES = 50  # the newest datasets in the Atom feed
ORGANIZATION_NEWEST = 20  # an organisation's page lists its newest; the rest are a facet list


@dataclass
class BuildContext:
    site: SiteInfo
    renderer: SiteRenderer
    reader: CatalogReader
    summaries: list[dict]  # every public dataset, in list order (summary.in_list_order)
    packages: dict[str, dict]  # full dicts of the datasets shown in this build
    state_dir: Path
    out_dir: Path
    # summaries (before and after) of the datasets that changed; None: every list may have
    touched: list[dict] | None = None
    vendor_versions: dict[str, str] = field(default_factory=dict)  # front-end libraries
    unchanged_lists: set[str] = field(default_factory=set)  # list folders left as they are

    def package(self, name: str) -> dict:
        """The full package dict, shown now only when this build needs it."""
        if name not in self.packages:
            self.packages[name] = next(self.reader.packages([name]))
        return self.packages[name]

    @cached_property
    def metrics(self) -> dict[str, Any]:
        return self.reader.metrics()

    @cached_property
    def downloads(self) -> dict[str, int]:
        """Downloads per dataset over the metrics report's period (12 months)."""
        return {d["name"]: d["total"] for d in self.metrics["downloads"]["by_dataset"]}

    @cached_property
    def reuses(self) -> list[dict]:
        return self.reader.reuses()

    @cached_property
    def reuses_by_dataset(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = defaultdict(list)
        for reuse in self.reuses:
            for dataset in reuse["datasets"]:
                out[dataset["name"]].append(reuse)
        return out

    @cached_property
    def organizations(self) -> list[dict]:
        return self.reader.organizations()

    @cached_property
    def by_name(self) -> dict[str, dict]:
        return {s["name"]: s for s in self.summaries}

    @cached_property
    def newest(self) -> list[dict]:
        """The datasets the home page and the Atom feed show, the most recently modified first."""
        return newest_first(self.summaries, max(HOME_LISTS, ATOM_ENTRIES))

    @cached_property
    def today(self) -> str:
        """The site's date as ISO text (due dates compare with it as text)."""
        return self.site.today.isoformat()

    def list_item(self, name: str) -> dict:
        """What a list shows of a dataset (made when a page that shows it is rendered)."""
        return list_item(self.by_name[name], self.today)

    @cached_property
    def list_item_keys(self) -> dict[str, str]:
        """Each list item's key: its summary's hash (kept with it in the build state)
        and whether it is overdue today. A list page's key is made of its items' keys."""
        return {
            s["name"]: s["key"] + ("!" if is_overdue(s["due"], self.today) else "")
            for s in self.summaries
        }

    @cached_property
    def facets(self) -> dict[str, list[listing.FacetValue]]:
        return listing.facet_index(self.members)

    @cached_property
    def members(self) -> dict[tuple[str, str], list[dict]]:
        return listing.members(self.summaries)


def other_units(ctx: BuildContext) -> Iterator[Unit]:
    """Everything but the dataset pages (see dataset_units)."""
    yield from list_units(ctx)
    yield home_unit(ctx)
    yield from organization_units(ctx)
    yield reuses_unit(ctx)
    yield metrics_unit(ctx)
    yield from fixed_page_units(ctx)
    yield machine_files_unit(ctx)


# ------------------------------------------------------------------ datasets


def dataset_units(ctx: BuildContext, names: set[str] | None = None) -> Iterator[Unit]:
    """The units of the dataset pages (of `names` only, when given)."""
    today = ctx.today
    downloads, reuses = ctx.downloads, ctx.reuses_by_dataset
    for summary in ctx.summaries:
        name = summary["name"]
        if names is not None and name not in names:
            continue
        key = "|".join((  # plain text: 10,000 of these are compared on every build
            summary["modified"],
            str(downloads.get(name, 0)),
            ",".join(r["id"] for r in reuses.get(name, ())),
            "overdue" if is_overdue(summary["due"], today) else "",
            today if "GTFS" in summary["formats"] else "",  # days to the feed's expiry
        ))  # fmt: skip
        yield Unit(f"dataset:{name}", key, partial(dataset_files_of, ctx, name))


def dataset_files_of(ctx: BuildContext, name: str) -> Files:
    package = ctx.package(name)
    gtfs = gtfs_problem = None
    resource = feed_resource(package)
    files: Files = {}
    if resource is not None:
        # streamed to a file, not held in memory: the feed reader caps what it inflates
        with tempfile.NamedTemporaryFile(prefix="kokai-feed-", suffix=".zip") as feed:
            try:
                if ctx.reader.copy_file(resource, feed):
                    gtfs = gtfs_site(ctx.renderer, package, resource, Path(feed.name),
                                     f"dataset/{name}/")  # fmt: skip
                    files.update(gtfs.pages)
            except KokaiError as exc:  # a feed put in through the API unchecked: the rest still builds
                gtfs_problem = str(exc)
    files.update(
        dataset_files(
            ctx.renderer,
            package,
            reader=ctx.reader,
            downloads=ctx.downloads.get(name, 0),
            reuses=ctx.reuses_by_dataset.get(name, []),
            gtfs_summary=gtfs.summary if gtfs else None,
            gtfs_problem=gtfs_problem,
        )
    )
    return files


# ------------------------------------------------------------------ lists


LIST_FIELDS = ("name", "title", "snippet", "organization_title", "formats", "modified")


def list_item(summary: dict, today: str) -> dict:
    """What a list shows of a dataset."""
    item = {k: summary[k] for k in LIST_FIELDS}
    item["modified_ja"] = ja_date(summary["modified"])
    item["overdue"] = is_overdue(summary["due"], today)
    return item


def list_units(ctx: BuildContext) -> Iterator[Unit]:
    facets = ctx.facets
    facet_key = key_of({f: [(v.value, v.count) for v in vs[:20]] for f, vs in facets.items()})
    yield from _paged_list(ctx, "datasets/", "データセット一覧", ctx.summaries, facets, facet_key)
    members = ctx.members
    affected = _affected_lists(ctx)
    for facet, values in facets.items():
        label = listing.FACETS[facet][1]
        folder = f"datasets/{listing.FACETS[facet][2]}/"
        index_key = key_of([(v.value, v.label, v.count) for v in values])
        yield Unit(
            f"facets:{facet}",
            index_key,
            lambda facet=facet, values=values, label=label, folder=folder: {
                folder + "index.html": ctx.renderer.page(
                    "facet_values.html",
                    facet=facet,
                    label=label,
                    values=values,
                    breadcrumbs=[("データセット", "datasets/"), (label, folder)],
                )
            },
        )
        for value in values:
            if affected is not None and (facet, value.value) not in affected:
                ctx.unchanged_lists.add(value.path)
                continue
            title = f"{label}：{value.label}"
            yield from _paged_list(ctx, value.path, title, members[(facet, value.value)], None, "",
                                   crumb=(label, folder))  # fmt: skip


def _affected_lists(ctx: BuildContext) -> set[tuple[str, str]] | None:
    """The facet lists a changed dataset was or is on: only they can change
    (None: any list may have)."""
    if ctx.touched is None:
        return None
    return {
        (facet, value)
        for summary in ctx.touched
        for facet in listing.FACETS
        for value, _ in listing.facet_values(summary, facet)
    }


def _paged_list(
    ctx: BuildContext,
    folder: str,
    title: str,
    summaries: list[dict],
    facets: dict | None,
    facet_key: str,
    crumb: tuple[str, str] | None = None,
) -> Iterator[Unit]:
    total = len(summaries)
    for page in listing.pages_of(summaries):
        path = listing.page_path(folder, page.block)
        # what the page shows: the first page the count, facets and the next older page;
        # an older page only its own datasets and neighbours, so a new dataset leaves it as it is
        shown = [str(total), str(page.older), facet_key] if page.block == 0 else [str(page.newer)]
        key = hashlib.sha1(  # plain text, not key_of: there are thousands of list pages
            "|".join([*(ctx.list_item_keys[s["name"]] for s in page.items), str(page.block),
                      *shown]).encode()
        ).hexdigest()  # fmt: skip
        crumbs = [("データセット", "datasets/")]
        if crumb:
            crumbs.append(crumb)
        if folder != "datasets/":
            crumbs.append((title.split("：", 1)[-1], folder))

        def produce(page=page, path=path, crumbs=crumbs) -> Files:
            items = [ctx.list_item(s["name"]) for s in page.items]
            # an older page is named by when its datasets were published (its number
            # counts from the oldest end, which would puzzle a reader)
            dates = dict.fromkeys(ja_date(s["created"]) for s in (page.items[-1], page.items[0]))
            period = "〜".join(dates) if page.block else ""
            return {
                path + "index.html": ctx.renderer.page(
                    "dataset_list.html",
                    title=title,
                    items=items,
                    total=total,
                    page=page,
                    period=period,
                    folder=folder,
                    facets=facets if page.block == 0 else None,
                    is_main_list=folder == "datasets/",
                    breadcrumbs=crumbs,
                    page_path=listing.page_path,
                )
            }

        yield Unit(f"list:{path}", key, produce)


def home_unit(ctx: BuildContext) -> Unit:
    newest = [ctx.list_item(s["name"]) for s in ctx.newest[:HOME_LISTS]]
    popular_names = sorted(
        (n for n in ctx.downloads if n in ctx.by_name and ctx.downloads[n] > 0),
        key=lambda n: (-ctx.downloads[n], n),
    )[:HOME_LISTS]
    popular = [{**ctx.list_item(n), "downloads": ctx.downloads[n]} for n in popular_names]
    facets = ctx.facets
    organizations = facets["organization"]
    tags = facets["tags"][:30]
    key = key_of(newest, popular, [(o.value, o.count) for o in organizations],
                 [(t.value, t.count) for t in tags], len(ctx.summaries))  # fmt: skip
    return Unit(
        "home",
        key,
        lambda: {
            "index.html": ctx.renderer.page(
                "home.html",
                newest=newest,
                popular=popular,
                organizations=organizations,
                tags=tags,
                count=len(ctx.summaries),
            )
        },
    )


def organization_units(ctx: BuildContext) -> Iterator[Unit]:
    orgs = [
        {"name": o["name"], "title": o.get("title") or o["name"],
         "description": o.get("description") or "",
         "count": len(ctx.members.get(("organization", o["name"]), ()))}
        for o in ctx.organizations
    ]  # fmt: skip
    yield Unit(
        "organizations",
        key_of(orgs),
        lambda: {
            "organizations/index.html": ctx.renderer.page(
                "organizations.html", organizations=orgs, breadcrumbs=[("組織", "organizations/")]
            )
        },
    )
    for org in orgs:
        datasets = ctx.members.get(("organization", org["name"]), [])
        items = [ctx.list_item(s["name"]) for s in newest_first(datasets, ORGANIZATION_NEWEST)]
        path = f"organization/{listing.slug(org['name'])}/index.html"
        yield Unit(
            f"organization:{org['name']}",
            key_of(org, items),
            lambda org=org, items=items, path=path: {
                path: ctx.renderer.page(
                    "organization.html",
                    org=org,
                    items=items,
                    list_path=listing.facet_path("organization", org["name"]),
                    breadcrumbs=[("組織", "organizations/"), (org["title"], path)],
                )
            },
        )


def reuses_unit(ctx: BuildContext) -> Unit:
    reuses = ctx.reuses
    return Unit(
        "reuses",
        key_of(reuses),
        lambda: {
            "reuses/index.html": ctx.renderer.page(
                "reuses.html", reuses=reuses, breadcrumbs=[("活用事例", "reuses/")]
            )
        },
    )


def metrics_unit(ctx: BuildContext) -> Unit:
    report = {k: v for k, v in ctx.metrics.items() if k != "generated"}
    return Unit(
        "metrics",
        key_of(report),
        lambda: {"metrics/index.html": metrics_page(ctx.renderer, ctx.metrics)},
    )


def fixed_page_units(ctx: BuildContext) -> Iterator[Unit]:
    axe_version = ctx.vendor_versions.get("axe-core", "")  # named on the policy page
    for folder, template, label in (
        ("accessibility/", "accessibility.html", "アクセシビリティ方針"),
        ("api/", "api.html", "API・機械判読できる目録"),
    ):
        yield Unit(
            f"page:{folder}",
            key_of(template, ctx.site.today.year, axe_version),
            lambda folder=folder, template=template, label=label: {
                folder + "index.html": ctx.renderer.page(
                    template, breadcrumbs=[(label, folder)], axe_version=axe_version
                )
            },
        )


# ------------------------------------------------------------------ machine-readable files


def machine_files_unit(ctx: BuildContext) -> Unit:
    key = hashlib.sha1(  # plain text, not key_of: it runs over every dataset on every build
        "|".join(s["name"] + " " + s["modified"] for s in ctx.summaries).encode()
    ).hexdigest()
    store: list[FragmentStore] = []  # read only when the unit runs
    newest = [s["name"] for s in ctx.newest[:ATOM_ENTRIES]]

    def produce() -> Files:
        store.append(FragmentStore(ctx.state_dir / "fragments", ctx.out_dir))
        store[0].invalidate()
        return _machine_files(ctx, store[0], newest)

    # the store's index names the written files, so it is saved after them
    return Unit("machine", key, produce, written=lambda: store[0].save(newest))


def _machine_files(ctx: BuildContext, fragments: FragmentStore, newest: list[str]) -> Files:
    wanted = {s["name"]: s["modified"] for s in ctx.summaries}
    for name, modified in wanted.items():
        if fragments.modified(name) != modified:
            _put_fragments(ctx, fragments, name, modified)
    fragments.keep(wanted)
    for name in newest:  # one that became one of the newest as a newer one went away
        if fragments.atom_entry(name) is None:
            _put_fragments(ctx, fragments, name, wanted[name])
    latest = ctx.by_name[newest[0]]["modified"] if newest else None
    entries = [fragments.atom_entry(name).decode("utf-8") for name in newest]
    return {
        "data.json": machine_files.data_json(fragments.body("pod"), ctx.site),
        "catalog.jsonld": machine_files.dcat_catalog(
            fragments.body("dcat"), ctx.site, modified=latest
        ),
        "feed.atom": machine_files.atom_document(entries, latest, ctx.site),
        "robots.txt": machine_files.robots_txt(ctx.site),
    }


def _put_fragments(ctx: BuildContext, fragments: FragmentStore, name: str, modified: str) -> None:
    package = ctx.package(name)
    fragments.put(
        name,
        modified,
        pod=machine_files.encode_fragment(machine_files.pod_dataset(package, ctx.site)),
        dcat=machine_files.encode_fragment(machine_files.dcat_dataset(package, ctx.site)),
        atom=machine_files.atom_entry(package, ctx.site).encode("utf-8"),
    )


def sitemap_unit(ctx: BuildContext, paths: list[str]) -> Unit:
    pages = sorted(p[: -len("index.html")] for p in paths if p.endswith("index.html"))
    modified = {f"dataset/{s['name']}/": s["modified"][:10] for s in ctx.summaries}
    urls = [(p, modified.get(p)) for p in pages]
    key = hashlib.sha1("\n".join(f"{p} {m}" for p, m in urls).encode()).hexdigest()
    return Unit("sitemap", key, lambda: machine_files.sitemap(urls, ctx.site))


# ------------------------------------------------------------------ search


def search_docs(summaries: Iterable[dict], packages: dict[str, dict]) -> Iterator[SearchDoc]:
    """The search entries of datasets whose full dicts are in `packages` (for the
    description, which the build state does not keep)."""
    for s in summaries:
        yield SearchDoc(
            name=s["name"],
            title=s["title"],
            notes=" ".join((packages[s["name"]].get("notes") or "").split())[:2000],
            organization=s["organization"],
            organization_title=s["organization_title"],
            tags=tuple(s["tags"]),
            formats=tuple(s["formats"]),
            license_id=s["license_id"],
            license_title=s["license_title"],
            modified=s["modified"][:10],
            path=f"dataset/{s['name']}/",
        )
