"""Licences offered by `license_list`, as CKAN's default list plus the ones
Japanese municipal catalogs use (CC BY 4.0, 政府標準利用規約 2.0)."""

from __future__ import annotations

from functools import cache


def _licence(
    id_: str,
    title: str,
    url: str,
    od: str = "approved",
    osd: str = "not reviewed",
    family: str = "",
    data: bool = True,
    content: bool = True,
    software: bool = False,
    generic: bool = False,
) -> dict:
    return {
        "id": id_,
        "title": title,
        "url": url,
        "status": "active",
        "maintainer": "",
        "family": family,
        "domain_content": content,
        "domain_data": data,
        "domain_software": software,
        "is_generic": generic,
        "od_conformance": od,
        "osd_conformance": osd,
    }


LICENSES: list[dict] = [
    _licence("notspecified", "License not specified", "", od="not reviewed", generic=True),
    _licence(
        "odc-pddl",
        "Open Data Commons Public Domain Dedication and License (PDDL)",
        "http://www.opendefinition.org/licenses/odc-pddl",
        content=False,
    ),
    _licence(
        "odc-odbl",
        "Open Data Commons Open Database License (ODbL)",
        "http://www.opendefinition.org/licenses/odc-odbl",
        content=False,
    ),
    _licence(
        "odc-by",
        "Open Data Commons Attribution License",
        "http://www.opendefinition.org/licenses/odc-by",
        content=False,
    ),
    _licence(
        "cc-zero", "Creative Commons CCZero", "http://www.opendefinition.org/licenses/cc-zero"
    ),
    _licence(
        "cc-by", "Creative Commons Attribution", "http://www.opendefinition.org/licenses/cc-by"
    ),
    _licence(
        "cc-by-sa",
        "Creative Commons Attribution Share-Alike",
        "http://www.opendefinition.org/licenses/cc-by-sa",
    ),
    _licence(
        "gfdl", "GNU Free Documentation License", "http://www.opendefinition.org/licenses/gfdl"
    ),
    _licence("other-open", "Other (Open)", "", generic=True),
    _licence("other-pd", "Other (Public Domain)", "", generic=True),
    _licence("other-at", "Other (Attribution)", "", generic=True),
    _licence(
        "uk-ogl",
        "UK Open Government Licence (OGL)",
        "http://reference.data.gov.uk/id/open-government-licence",
    ),
    _licence(
        "cc-nc",
        "Creative Commons Non-Commercial (Any)",
        "http://creativecommons.org/licenses/by-nc/2.0/",
        od="not reviewed",
    ),
    _licence("other-nc", "Other (Non-Commercial)", "", od="not reviewed", generic=True),
    _licence("other-closed", "Other (Not Open)", "", od="not reviewed", generic=True),
    _licence(
        "cc-by-4.0",
        "クリエイティブ・コモンズ 表示 4.0 国際 (CC BY 4.0)",
        "https://creativecommons.org/licenses/by/4.0/deed.ja",
    ),
    _licence(
        "cc-by-sa-4.0",
        "クリエイティブ・コモンズ 表示-継承 4.0 国際 (CC BY-SA 4.0)",
        "https://creativecommons.org/licenses/by-sa/4.0/deed.ja",
    ),
    _licence(
        "cc0-1.0",
        "CC0 1.0 全世界 パブリック・ドメイン提供",
        "https://creativecommons.org/publicdomain/zero/1.0/deed.ja",
    ),
    _licence(
        "gov-jp-2.0",
        "公共データ利用規約（第1.0版） / 政府標準利用規約（第2.0版）",
        "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
    ),
]


@cache
def licenses_by_id() -> dict[str, dict]:
    return {lic["id"]: lic for lic in LICENSES}


def license_info(license_id: str | None) -> tuple[str | None, str | None, bool]:
    """(license_title, license_url, isopen) for a package, as CKAN fills them."""
    if not license_id:
        return None, None, False
    lic = licenses_by_id().get(license_id)
    if lic is None:
        return license_id, None, False
    return lic["title"], lic["url"] or None, lic["od_conformance"] == "approved"
