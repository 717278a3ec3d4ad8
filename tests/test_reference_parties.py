"""Restricted-party matching against the real rules/lists/restricted_parties.yaml."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.reference.parties import PartyMatcher, normalise_name, same_party

LISTS = Path(__file__).resolve().parents[1] / "rules" / "lists"
UEL = "Unreliable Entity List"
NORTHERN = ("中国北方稀土（集团）高科技股份有限公司"
            "（China Northern Rare Earth (Group) High-Tech Co.,Ltd）")


def _entries() -> list[dict[str, Any]]:
    data = yaml.safe_load((LISTS / "restricted_parties.yaml").read_text("utf-8"))
    entries: list[dict[str, Any]] = data["entries"]
    return entries


@pytest.fixture(scope="module")
def matcher() -> PartyMatcher:
    return PartyMatcher.from_entries(_entries())


@pytest.mark.parametrize(
    ("name", "country", "listed"),
    [
        ("Raytheon Missiles & Defense", "US", "Raytheon Missiles & Defense"),
        ("Raytheon Missiles and Defense", "US", "Raytheon Missiles & Defense"),
        ("RAYTHEON MISSILES & DEFENSE CO.", "US", "Raytheon Missiles & Defense"),
        ("Raytheon Missiles & Defence Inc", None, "Raytheon Missiles & Defense"),
        ("Raytheon M&D", "US", "Raytheon Missiles & Defense"),
        ("Raytheon Missiles & Defense, 1151 E. Hermans Road, Tucson, AZ 85756", "US",
         "Raytheon Missiles & Defense"),
        ("Lockheed Martin", "US", "Lockheed Martin Corporation"),
        ("Lockheed Martin Corporation", "United States", "Lockheed Martin Corporation"),
        ("LOCKHEED-MARTIN CORP.", "USA", "Lockheed Martin Corporation"),
        ("Lockhead Martin Corp", None, "Lockheed Martin Corporation"),  # a typo
        ("Lockheed Martin Space", "US", "Lockheed Martin Corporation"),  # a division
        ("洛克希德·马丁公司", None, "Lockheed Martin Corporation"),
        ("ＬＯＣＫＨＥＥＤ　ＭＡＲＴＩＮ", None, "Lockheed Martin Corporation"),
        ("Lockheed Martin Aeronautics Company", "US", "Lockheed Martin Aeronautics"),
        (
            "General Atomics Aeronautical Systems, Inc.",
            "US",
            "General Atomics Aeronautical Systems",
        ),
        ("Boeing Defense Space and Security", "US", "Boeing Defense, Space & Security"),
        ("Anduril Industries Inc", "US", "Anduril Industries"),
        ("Huntington Ingalls Industries, Inc.", "US", "Huntington Ingalls Industries Inc."),
        ("TCOM, L.P.", "US", "TCOM, Limited Partnership"),
        ("Skydio, Inc.", "US", "Skydio"),
        ("Elbit Systems of America L.L.C.", "US", "Elbit Systems of America, LLC"),
        ("General Dynamics Mission Systems", "US", "General Dynamics"),
        ("AEVEX航天公司", None, "AEVEX Aerospace"),
        # a name in two scripts: either one
        ("美国雷神导弹与防务公司 (Raytheon Missiles & Defense)", "US",
         "Raytheon Missiles & Defense"),
        ("Lockheed Martin Corporation (洛克希德·马丁公司)", None, "Lockheed Martin Corporation"),
        # an acronym, a unit of the organisation, a place after the name, the listed parent
        ("Raytheon Missiles and Defense (RMD) – Tucson Operations", "US",
         "Raytheon Missiles & Defense"),
        ("Raytheon Missiles & Defense, Supply Chain Compliance", None,
         "Raytheon Missiles & Defense"),
        ("洛克希德·马丁公司（美国马里兰州贝塞斯达）", "US", "Lockheed Martin Corporation"),
        ("Sikorsky Aircraft Corporation, a Lockheed Martin Company", "US",
         "Lockheed Martin Corporation"),
        ("Raytheon Missiles & Defense - Global Trade Logistics", "US",
         "Raytheon Missiles & Defense"),
    ],
)
def test_hits(matcher: PartyMatcher, name: str, country: str | None, listed: str) -> None:
    hit = matcher.match(name, country)
    assert hit is not None, name
    assert hit.name == listed
    assert 0 <= hit.score <= 100
    assert hit.source and hit.list_name


@pytest.mark.parametrize(
    ("name", "country"),
    [
        ("Raytheon Technologies", "US"),  # the parent is not listed
        ("Raytheon Missile Systems", "US"),  # not verified as listed
        ("Kanto Optics KK", "JP"),
        ("Nordic Cells AB", "SE"),
        ("Vektor Halbleiter GmbH", "DE"),
        ("Pacific Semiconductor Inc", "US"),
        ("Sunrise Logistics Sdn Bhd", "MY"),
        ("Hunan Jinhe Materials Co", "CN"),
        ("Skydio Drone Services", None),  # short names match only exactly
        ("Insitu Solutions", None),
        ("Defense Inc", None),
        ("Systems Ltd", "US"),
        ("Co., Ltd.", None),
        ("", None),
        ("Applied Technologies Group Shenzhen Co Ltd", "CN"),  # not a listed parent
        ("Lockhead Martin", "GB"),  # a fuzzy hit needs the same country
        ("Martin Lockheed Logistics", "CN"),
        ("Sikorsky Aircraft Corporation", "US"),  # names no listed parent
        ("Stratford Avionics Inc, a Raytheon Technologies company", "US"),  # a parent not listed
    ],
)
def test_misses(matcher: PartyMatcher, name: str, country: str | None) -> None:
    assert matcher.match(name, country) is None


def test_match_details(matcher: PartyMatcher) -> None:
    hit = matcher.match("Raytheon Missiles and Defense", "US")
    assert hit is not None
    assert hit.score == 100
    assert hit.list_name == UEL
    assert hit.listed_on == date(2023, 2, 16)
    assert hit.alias == "Raytheon Missiles & Defense"
    fuzzy = matcher.match("Lockhead Martin Corp", "US")
    assert fuzzy is not None and 90 <= fuzzy.score < 100
    chinese = matcher.match("洛克希德·马丁公司", None)
    assert chinese is not None and chinese.alias == "洛克希德·马丁公司"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("RAYTHEON MISSILES & DEFENSE CO.", "raytheon missiles and defense"),
        ("Hunan Jinhe Materials Co., Ltd.", "hunan jinhe materials"),
        ("Sunrise Logistics Sdn. Bhd.", "sunrise logistics"),
        ("Acme Pte. Ltd.", "acme"),
        ("Vektor Halbleiter GmbH", "vektor halbleiter"),
        ("Kanto Optics K.K.", "kanto optics"),
        ("TCOM, Limited Partnership", "tcom"),
        ("The Boeing Company", "boeing"),
        ("湖南金和材料股份有限公司", "湖南金和材料"),
        ("Ｔｅｘｔ　Ｏｒｅ", "text ore"),
        ("Wisła Magnesy Sp. z o.o.", "wisla magnesy"),  # in plain Latin letters
        ("Brno Optika s.r.o.", "brno optika"),
        # registration numbers beside the name
        ("Sachsen Photonik GmbH (EORI DE4471209856321)", "sachsen photonik"),
        ("Maas Metals B.V. VAT NL812345678B01", "maas metals"),
        ("Baltyk Cells Sp. z o.o. NIP 5252248481", "baltyk cells"),
        ("Acme (Hong Kong) Ltd", "acme hong kong"),
        ("Vat Products (UK) Ltd", "vat products uk"),
        ("Shenzhen 3D Printing Co", "shenzhen 3d printing"),
        # a unit of the organisation, the firm it belongs to
        ("Technische Universiteit Eindhoven, Department of Applied Physics",
         "technische universiteit eindhoven"),
        ("Raytheon Missiles & Defense – Tucson Operations", "raytheon missiles and defense"),
        ("Sikorsky Aircraft Corporation, a Lockheed Martin Company", "sikorsky aircraft"),
        ("Lab Supplies Ltd", "lab supplies"),
        ("imec vzw", "imec"),
        ("A Plus Trading Company", "a plus trading"),  # "A …" opens a name, not an owner
    ],
)
def test_normalise_name(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_every_entry_is_sourced() -> None:
    for entry in _entries():
        assert entry["list"] in (UEL, "MOFCOM export control list (dual-use export ban)")
        assert isinstance(entry["listed_on"], date)
        assert entry["listed_on"] >= date(2023, 2, 16)
        assert "http" in entry["source"] or "REFERENCES.md" in entry["source"]


def test_references_entries_present(matcher: PartyMatcher) -> None:
    names = {e["name"] for e in _entries() if e["listed_on"] == date(2023, 2, 16)}
    assert names == {"Lockheed Martin Corporation", "Raytheon Missiles & Defense"}
    assert len(matcher) == len(_entries())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"aliases": "x"}, "aliases"),
        ({"country": "Atlantis"}, "country"),
        ({"list": None}, "list"),
        ({"listed_on": "soon"}, "listed_on"),
        ({"source": ""}, "source"),
        ({"divisions": "yes"}, "divisions"),
    ],
)
def test_bad_entries(change: dict[str, Any], field: str) -> None:
    entry = dict(_entries()[0])
    entry.update(change)
    with pytest.raises(ValueError) as err:
        PartyMatcher.from_entries([entry])
    assert "entry 0" in str(err.value) and f"'{field}'" in str(err.value)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("Guangxi Huaxin Metals Co., Ltd.", "Guangxi Huaxin Metals Co Ltd", True),
    ("Guangxi Huaxin Metals Co., Ltd.", "GUANGXI HUAXIN METALS LIMITED", True),
    ("Guangxi Huaxin Metals Co., Ltd.", "Guangxi Huaxin Metals", True),  # no form: name alone
    ("Straits Metals Pte Ltd", "Straits Metals Pte. Limited", True),
    # a private company is another kind than a public one
    ("Straits Metals Pte Ltd", "Straits Metals Ltd", False),
    ("Southern Cross Photonics Pty Ltd", "Southern Cross Photonics Limited", False),
    ("Deccan Flame Retardants Pvt. Ltd.", "Deccan Flame Retardants Private Limited", True),
    ("Acme Inc.", "Acme Corporation", True),
    # a legal form written out is the form
    ("Nordic Cells Aktiebolag", "Nordic Cells AB", True),
    ("Kanto Optics Kabushiki Kaisha", "Kanto Optics KK", True),
    ("Vektor Halbleiter Gesellschaft mit beschränkter Haftung", "Vektor Halbleiter GmbH", True),
    ("Straits Metals Sendirian Berhad", "Straits Metals Sdn Bhd", True),
    ("ALPENKARBID Gesellschaft m.b.H.", "Alpenkarbid GmbH", True),
    ("Bac Ninh Electric Motor Joint Stock Company", "Bac Ninh Electric Motor JSC", True),
    # an address after the name
    ("Elbtal Halbleitertechnik GmbH, Manfred-von-Ardenne-Ring 20, 01099 Dresden, Germany",
     "Elbtal Halbleitertechnik GmbH", True),
    ("Hanbit Precision Materials Co., Ltd., 77 Gongdan-ro, Changwon-si",
     "Hanbit Precision Materials Co., Ltd.", True),
    ("Sachsen Photonik GmbH (EORI DE4471209856321)", "Sachsen Photonik GmbH", True),
    ("BALTIC ANODE MATERIALS SP Z O O", "Baltic Anode Materials Sp. z o. o.", True),
    # a name in two scripts is the party of either
    ("宁波科田磁业有限公司 (Ningbo Ketian Magnet Co Ltd)", "Ningbo Ketian Magnet Co., Ltd.", True),
    ("宁波科田磁业有限公司（Ningbo Ketian Magnet Co Ltd）", "宁波科田磁业有限公司", True),
    ("宁波科田磁业有限公司 (Ningbo Ketian Magnet Co Ltd)", "Ningbo Huayang Magnet Co Ltd", False),
    ("Acme (Hong Kong) Ltd", "Hong Kong Ltd", False),
    # an acronym in brackets, a unit of the organisation
    ("imec vzw (Interuniversitair Micro-Electronica Centrum)", "imec vzw", True),
    ("Raytheon Missiles and Defense (RMD)", "RMD", True),
    ("Technische Universiteit Eindhoven, Department of Applied Physics",
     "Technische Universiteit Eindhoven", True),
    ("Acme Ltd (Hong Kong)", "Beta Ltd (Hong Kong)", False),  # a place is no other name
    # Japanese and Korean forms before or after the name; a bracket inside the last one
    ("(주)스타그룹（Star Group Industrial Co., Ltd.）", "Star Group Industrial Co., Ltd.", True),
    ("株式会社東芝", "東芝", True),
    (NORTHERN, "中国北方稀土（集团）高科技股份有限公司", True),
    (NORTHERN, "China Northern Rare Earth (Group) High-Tech Co., Ltd.", True),
    ("Baltic Anode Materials Spółka z o.o.", "Baltic Anode Materials Sp. z o.o.", True),
    ("Kessler Sensorik Aktiengesellschaft", "Kessler Sensorik GmbH", False),
    # two legal forms are two companies
    ("Kessler Sensorik AG", "Kessler Sensorik GmbH", False),
    ("Kessler Sensorik GmbH & Co. KG", "Kessler Sensorik GmbH", False),
    ("Nordic Cells AB", "Nordic Cells AS", False),
    ("Vektor Halbleiter GmbH", "Rhein Handelshaus GmbH", False),
])
def test_same_party(a: str, b: str, same: bool) -> None:
    assert same_party(a, b) is same
    assert same_party(b, a) is same
