"""Licences: CKAN's default list plus the ones Japanese municipal catalogs use.

One list for the whole of kokai: the catalog's `license_list` and
`license_title`/`license_url`, and the data package check that a licence is
known. Each licence has the id the catalog stores (CKAN's own ids for CKAN's
licences) and the other spellings seen in data packages (SPDX ids such as
`CC-BY-4.0`), matched case-insensitively.

Japanese licences (shared/reference/jp-open-data.md §8):
- 公共データ利用規約（第1.0版） PDL1.0, the Digital Agency's licence of 2024-07-05,
  compatible with CC BY 4.0; its URL is the Digital Agency's page.
- 政府標準利用規約（第2.0版）, its predecessor.
- CC BY 2.1 JP, still on older datasets.
`bodik_api` marks what BODIK's API crawler imports (CC BY, CC BY-SA, CC0 only,
https://www.bodik.jp/project/bodik-api/bodik-api-info/).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Licence:
    id: str
    title: str
    url: str
    aliases: tuple[str, ...] = ()
    od_conformance: str = "approved"
    osd_conformance: str = "not reviewed"
    family: str = ""
    domain_content: bool = True
    domain_data: bool = True
    domain_software: bool = False
    is_generic: bool = False
    bodik_api: bool = False

    @property
    def is_open(self) -> bool:
        return self.od_conformance == "approved"

    def as_ckan_dict(self) -> dict:
        """The item of CKAN's `license_list`."""
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "status": "active",
            "maintainer": "",
            "family": self.family,
            "domain_content": self.domain_content,
            "domain_data": self.domain_data,
            "domain_software": self.domain_software,
            "is_generic": self.is_generic,
            "od_conformance": self.od_conformance,
            "osd_conformance": self.osd_conformance,
        }


_OD = "http://www.opendefinition.org/licenses/"

LICENCES: tuple[Licence, ...] = (
    Licence("notspecified", "License not specified", "", od_conformance="not reviewed", is_generic=True),
    Licence("odc-pddl", "Open Data Commons Public Domain Dedication and License (PDDL)", _OD + "odc-pddl",
            aliases=("PDDL-1.0",), domain_content=False),
    Licence("odc-odbl", "Open Data Commons Open Database License (ODbL)", _OD + "odc-odbl",
            aliases=("ODbL-1.0",), domain_content=False),
    Licence("odc-by", "Open Data Commons Attribution License", _OD + "odc-by",
            aliases=("ODC-By-1.0", "ODC-BY-1.0"), domain_content=False),
    Licence("cc-zero", "Creative Commons CCZero", _OD + "cc-zero", bodik_api=True),
    Licence("cc-by", "Creative Commons Attribution", _OD + "cc-by", bodik_api=True),
    Licence("cc-by-sa", "Creative Commons Attribution Share-Alike", _OD + "cc-by-sa", bodik_api=True),
    Licence("gfdl", "GNU Free Documentation License", _OD + "gfdl", aliases=("GFDL-1.3",)),
    Licence("other-open", "Other (Open)", "", is_generic=True),
    Licence("other-pd", "Other (Public Domain)", "", is_generic=True),
    Licence("other-at", "Other (Attribution)", "", is_generic=True),
    Licence("uk-ogl", "UK Open Government Licence (OGL)",
            "http://reference.data.gov.uk/id/open-government-licence", aliases=("OGL-UK-3.0",)),
    Licence("cc-nc", "Creative Commons Non-Commercial (Any)", "http://creativecommons.org/licenses/by-nc/2.0/",
            od_conformance="not reviewed"),
    Licence("other-nc", "Other (Non-Commercial)", "", od_conformance="not reviewed", is_generic=True),
    Licence("other-closed", "Other (Not Open)", "", od_conformance="not reviewed", is_generic=True),
    Licence("cc-by-4.0", "クリエイティブ・コモンズ 表示 4.0 国際 (CC BY 4.0)",
            "https://creativecommons.org/licenses/by/4.0/deed.ja", aliases=("CC-BY-4.0",), bodik_api=True),
    Licence("cc-by-sa-4.0", "クリエイティブ・コモンズ 表示-継承 4.0 国際 (CC BY-SA 4.0)",
            "https://creativecommons.org/licenses/by-sa/4.0/deed.ja", aliases=("CC-BY-SA-4.0",),
            bodik_api=True),
    Licence("cc0-1.0", "CC0 1.0 全世界 パブリック・ドメイン提供",
            "https://creativecommons.org/publicdomain/zero/1.0/deed.ja", aliases=("CC0-1.0",),
            bodik_api=True),
    Licence("cc-by-2.1-jp", "クリエイティブ・コモンズ 表示 2.1 日本 (CC BY 2.1 JP)",
            "https://creativecommons.org/licenses/by/2.1/jp/", aliases=("CC-BY-2.1-JP",), bodik_api=True),
    Licence("PDL-1.0", "公共データ利用規約（第1.0版） (PDL1.0)",
            "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
            aliases=("PDL1.0", "pdl-1.0")),
    Licence("gov-jp-2.0", "政府標準利用規約（第2.0版）",
            "https://www.kantei.go.jp/jp/singi/it2/densi/kettei/gl2_betten_1.pdf",
            aliases=("gov-std-2.0",)),
)  # fmt: skip


@cache
def _by_spelling() -> dict[str, Licence]:
    out: dict[str, Licence] = {}
    for licence in LICENCES:
        for spelling in (licence.id, *licence.aliases):
            out[spelling.casefold()] = licence
    return out


def find_licence(name: str | None) -> Licence | None:
    """The licence an id or an alias names (case-insensitive), or None."""
    if not name or not isinstance(name, str):
        return None
    return _by_spelling().get(name.strip().casefold())
