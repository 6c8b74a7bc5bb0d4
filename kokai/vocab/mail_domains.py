"""Mail domains that mean a personal address: free mail services, the mobile
carriers' mail and the consumer internet providers (プロバイダ) of Japan.

An address at one of these domains (or at a subdomain of one: `xx.ocn.ne.jp`,
`d.vodafone.ne.jp`) belongs to a person far more often than to an
organisation, which writes from its own domain (`bousai@city.xxx.lg.jp`).
The personal-data check (kokai.validators.personal_data) flags such addresses
in tables about to be published.

Each entry: domain -> (service name, kind); kind is "free" (フリーメール),
"carrier" (携帯電話会社のメール) or "isp" (プロバイダのメール). The lists are
the services' own documented mail domains; keep them short and well known.
"""

from __future__ import annotations

from functools import cache

FREE = "free"
CARRIER = "carrier"
ISP = "isp"

KIND_LABELS: dict[str, tuple[str, str]] = {
    FREE: ("フリーメール", "free mail service"),
    CARRIER: ("携帯電話会社のメール", "mobile carrier mail"),
    ISP: ("個人向けプロバイダのメール", "consumer internet provider mail"),
}

PERSONAL_MAIL_DOMAINS: dict[str, tuple[str, str]] = {
    # free mail
    "gmail.com": ("Gmail", FREE),
    "googlemail.com": ("Gmail", FREE),
    "yahoo.co.jp": ("Yahoo!メール", FREE),
    "yahoo.ne.jp": ("Yahoo!メール", FREE),
    "ymail.ne.jp": ("Yahoo!メール", FREE),
    "yahoo.com": ("Yahoo! Mail", FREE),
    "ymail.com": ("Yahoo! Mail", FREE),
    "icloud.com": ("iCloud メール", FREE),
    "me.com": ("iCloud メール", FREE),
    "mac.com": ("iCloud メール", FREE),
    "outlook.jp": ("Outlook.com", FREE),
    "outlook.com": ("Outlook.com", FREE),
    "hotmail.com": ("Outlook.com (Hotmail)", FREE),
    "hotmail.co.jp": ("Outlook.com (Hotmail)", FREE),
    "live.jp": ("Outlook.com (Live)", FREE),
    "live.com": ("Outlook.com (Live)", FREE),
    "msn.com": ("Outlook.com (MSN)", FREE),
    "aol.com": ("AOL Mail", FREE),
    "aol.jp": ("AOL Mail", FREE),
    "protonmail.com": ("Proton Mail", FREE),
    "proton.me": ("Proton Mail", FREE),
    "excite.co.jp": ("エキサイトメール", FREE),
    "infoseek.jp": ("楽天メール (infoseek)", FREE),
    "goo.jp": ("gooメール", FREE),
    "mail.goo.ne.jp": ("gooメール", FREE),
    "livedoor.com": ("livedoor メール", FREE),
    "gmx.com": ("GMX Mail", FREE),
    "mail.com": ("mail.com", FREE),
    "yandex.com": ("Yandex Mail", FREE),
    "qq.com": ("QQ Mail", FREE),
    "163.com": ("NetEase Mail", FREE),
    "naver.com": ("NAVER Mail", FREE),
    # mobile carriers (キャリアメール)
    "docomo.ne.jp": ("NTTドコモ", CARRIER),
    "mopera.net": ("NTTドコモ (mopera)", CARRIER),
    "ezweb.ne.jp": ("au", CARRIER),
    "au.com": ("au", CARRIER),
    "uqmobile.jp": ("UQ mobile", CARRIER),
    "softbank.ne.jp": ("ソフトバンク", CARRIER),
    "i.softbank.jp": ("ソフトバンク (iPhone)", CARRIER),
    "vodafone.ne.jp": ("ソフトバンク (旧 vodafone)", CARRIER),
    "disney.ne.jp": ("ソフトバンク (Disney Mobile)", CARRIER),
    "ymobile.ne.jp": ("Y!mobile", CARRIER),
    "ymobile1.ne.jp": ("Y!mobile", CARRIER),
    "y-mobile.ne.jp": ("Y!mobile", CARRIER),
    "emobile.ne.jp": ("Y!mobile (旧 EMOBILE)", CARRIER),
    "willcom.com": ("Y!mobile (旧 WILLCOM)", CARRIER),
    "pdx.ne.jp": ("Y!mobile (旧 WILLCOM)", CARRIER),
    "rakumail.jp": ("楽天モバイル", CARRIER),
    "mineo.jp": ("mineo", CARRIER),
    # consumer internet providers
    "ocn.ne.jp": ("OCN", ISP),
    "plala.or.jp": ("ぷらら", ISP),
    "biglobe.ne.jp": ("BIGLOBE", ISP),
    "so-net.ne.jp": ("So-net", ISP),
    "nifty.com": ("@nifty", ISP),
    "nifty.ne.jp": ("@nifty", ISP),
    "dion.ne.jp": ("au one net (DION)", ISP),
    "auone-net.jp": ("au one net", ISP),
    "zaq.ne.jp": ("J:COM (ZAQ)", ISP),
    "home.ne.jp": ("J:COM", ISP),
    "ybb.ne.jp": ("Yahoo! BB", ISP),
    "eonet.ne.jp": ("eo光", ISP),
    "commufa.jp": ("コミュファ光", ISP),
    "asahi-net.or.jp": ("ASAHIネット", ISP),
    "odn.ne.jp": ("ODN", ISP),
    "bbiq.jp": ("BBIQ", ISP),
    "hi-ho.ne.jp": ("hi-ho", ISP),
}

# Services that take the same name under many country domains (hotmail.fr,
# outlook.de, yahoo.com.tw): the brand followed by one country or generic
# domain, or by co./com./ne. and a country domain.
BRAND_ANY_TLD: dict[str, tuple[str, str]] = {
    "gmail": ("Gmail", FREE),
    "hotmail": ("Outlook.com (Hotmail)", FREE),
    "outlook": ("Outlook.com", FREE),
    "live": ("Outlook.com (Live)", FREE),
    "yahoo": ("Yahoo! Mail", FREE),
}
_SECOND_LEVEL = {"co", "com", "ne", "or"}


@cache
def personal_mail_service(domain: str) -> tuple[str, str] | None:
    """(service name, kind) when `domain` is a personal mail domain, else None.
    Subdomains count (`xx.ocn.ne.jp`); case and a trailing dot do not."""
    d = domain.strip().rstrip(".").lower()
    labels = d.split(".")
    for i in range(len(labels) - 1):
        hit = PERSONAL_MAIL_DOMAINS.get(".".join(labels[i:]))
        if hit:
            return hit
    if labels[0] in BRAND_ANY_TLD and all(labels[1:]):
        rest = labels[1:]
        if len(rest) == 1 or (len(rest) == 2 and rest[0] in _SECOND_LEVEL and len(rest[1]) == 2):
            return BRAND_ANY_TLD[labels[0]]
    return None
