"""The named lists in rules/lists: shape, seed quotes, hubs, keyword tables, country aliases."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pycountry
import pytest
import yaml

from service.reference.countries import to_alpha2
from service.reference.items import normalise
from service.reference.keywords import KeywordMatcher
from service.reference.text import normalise_quotes

ROOT = Path(__file__).resolve().parents[1]
LISTS = ROOT / "rules" / "lists"
SEEDS = ROOT / "seeds"
MINE = {
    "controlled_items": "table",
    "transshipment_hubs": "values",
    "military_terms": "keywords",
    "military_use_words": "keywords",
    "vague_descriptions": "keywords",
    "concealment_terms": "keywords",
    "common_commodities": "keywords",
    "forwarder_name_terms": "keywords",
    "restricted_parties": "table",
    "reference_prices": "table",
    "fx_rates": "table",
    "finished_articles": "table",
}
QUOTE = re.compile(r"(seed-\d{3}):\s*\"([^\"]+)\"")


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((LISTS / f"{name}.yaml").read_text("utf-8"))
    return data


def _seed_text(seed_id: str) -> str:
    """The seed's text, by seeds/index.yaml where it names the file, else by its number."""
    index = SEEDS / "index.yaml"
    if index.exists():
        for seed in yaml.safe_load(index.read_text("utf-8")).get("seeds", []):
            if seed.get("id") == seed_id and seed.get("file"):
                name: str = seed["file"]
                return (SEEDS / name).read_text("utf-8")
    (path,) = SEEDS.glob(f"{seed_id.removeprefix('seed-')}_*.txt")
    return path.read_text("utf-8")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", normalise_quotes(text)).strip()


@pytest.mark.parametrize(("name", "kind"), sorted(MINE.items()))
def test_list_shape(name: str, kind: str) -> None:
    data = _load(name)
    keys = [k for k in data if k != "except"]
    assert keys[:5] == ["list", "kind", "description", "verified_as_of", "entries"]
    assert "except" not in data or (kind == "keywords" and list(data).index("except") == 4)
    assert data["list"] == name
    assert data["kind"] == kind
    assert isinstance(data["description"], str) and data["description"].strip()
    assert data["verified_as_of"] in (date(2026, 11, 24), date(2026, 12, 3))
    entries = data["entries"]
    assert isinstance(entries, list) and entries
    field = {"values": "value", "keywords": "term"}.get(kind)
    for entry in entries:
        assert isinstance(entry, dict)
        assert isinstance(entry.get("source"), str) and entry["source"].strip()
        if field:
            assert isinstance(entry.get(field), str) and entry[field].strip()
            assert isinstance(entry.get("reason"), str) and entry["reason"].strip()
    if field:
        values = [normalise(e[field]).casefold() for e in entries]
        assert len(values) == len(set(values)), f"duplicate {field} in {name}"


def _all_sources() -> list[tuple[str, str]]:
    found = []
    for path in sorted(LISTS.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text("utf-8"))["entries"]:
            for key in ("source", "reason"):
                text = entry.get(key)
                if isinstance(text, str) and "seed-" in text:
                    found.append((path.stem, text))
    return found


def test_seed_quotes_occur_verbatim() -> None:
    checked = 0
    for name, text in _all_sources():
        quotes = QUOTE.findall(text)
        assert quotes, f"{name}: a source names a seed without a quote: {text!r}"
        for seed_id, quote in quotes:
            assert _flat(quote) in _flat(_seed_text(seed_id)), f"{name}: {seed_id} {quote!r}"
            checked += 1
    assert checked > 100


def test_transshipment_hubs() -> None:
    values = [e["value"] for e in _load("transshipment_hubs")["entries"]]
    assert values[:5] == ["HK", "MO", "SG", "MY", "AE"]
    assert "CN" not in values
    asean = {"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"}
    assert asean <= set(values)
    african = {c for c in values if c not in asean | {"HK", "MO", "AE", "TL"}}
    assert len(african) == 54
    assert {"ZA", "KE", "NG", "EG", "TZ", "CD", "ET", "MA"} <= african
    for code in values:
        assert pycountry.countries.get(alpha_2=code) is not None, code


def _terms(name: str) -> KeywordMatcher:
    """The list's matcher, as rules use it (`contains_any: "@name"`), with its exceptions."""
    data = _load(name)
    return KeywordMatcher([e["term"] for e in data["entries"]], exceptions=data.get("except", []))


def _hit(matcher: KeywordMatcher, text: str) -> bool:
    return matcher.find(text) is not None


CLEAN_END_USES = [
    "LED epitaxial wafer production",
    "optical fibre preform production",
    "battery anode manufacturing",
    "cemented carbide tool production",
    "lead-acid battery grid alloys",
    "semiconductor wafer production",
    "electric motor assembly",
    "submarine cable optical fibre",
]
CLEAN_PARTIES = [
    "Kanto Optics KK",
    "Nordic Cells AB",
    "Vektor Halbleiter GmbH",
    "Pacific Semiconductor Inc",
    "Hunan Jinhe Materials Co",
    "Guangxi Huaxin Metals Co Ltd",
]


def test_military_terms() -> None:
    pattern = _terms("military_terms")
    for text in (
        "missile guidance components",
        "Raytheon Missiles & Defense",
        "fighter jet radar",
        "munitions casings",
        "for a defence contractor",
        "Ministry of Defense procurement",
        "军用雷达",
        "导弹制导部件",
        "军工企业",
        "missile defence systems",
        "IR-Optiken für Zielsuchköpfe militärischer Lenkflugkörper",
        "usage militaire",
        "미사일 유도용",
        "防衛装備品向けアクチュエータ",
        "방위산업용 적외선 광학계",
        "Zulieferer der Wehrtechnik",
        "для нужд Министерства обороны",
        "hardening alloy for the state arsenal's small-calibre production line",
        "Askeri insansız hava aracı motorları",
        "مكونات رؤوس الصواريخ للاستخدام العسكري",
        "thiết bị quốc phòng",
        "Fábricas y Maestranzas del Ejército (FAMAE)",
        "Υπουργείο Εθνικής Άμυνας",
        "משרד הביטחון",
        "mühimmat üretimi",
        "Polska Grupa Zbrojeniowa S.A.",
    ):
        assert _hit(pattern, text), text
    for text in CLEAN_END_USES + CLEAN_PARTIES + [
        "pump motors for municipal fire defence systems",
        "civil defense sirens",
        "army-green enamel paint",
        "navy blue cotton uniforms for hotel staff",
        # brand and trade words, read only in end uses (military_use_words)
        "Titan Armor Coatings GmbH",
        "Red Missile E-Bikes Ltd",
        "Artillery 3D Printing Co",
        "Ejército de Salvación, tienda solidaria",
        "pręty zbrojeniowe, stal zbrojeniowa B500SP",  # reinforcing bars
        "驱动电机，用于坦克300混动越野车",  # a car model
    ]:
        assert not _hit(pattern, text), text


def test_military_use_words() -> None:
    pattern = _terms("military_use_words")
    for text in ("armour-piercing penetrators", "infrared windows for interceptor seekers",
                 "artillery fuzes", "torpedo guidance", "Wärmebildvisiere für Schützenpanzer"):
        assert _hit(pattern, text), text
    for text in [*CLEAN_END_USES, "bottiglie decorative a forma di missile",
                 "wear tips for ballistic separators in waste sorting plants"]:
        assert not _hit(pattern, text), text


def test_postal_terms_and_their_exceptions() -> None:
    matcher = _terms("postal_terms")
    for text in ("5 kg bottles in DHL Express parcels", "sent by courier", "EMS parcels",
                 "courier bags in separate cartons; shipped by courier", "国际快递小包",
                 "colis postaux", "Postpaket", "почтовые посылки", "우체국 국제특송",
                 "Yanwen tracked packet", "Hộp wafer trong bưu kiện EMS"):
        assert _hit(matcher, text), text
    for text in ("terbium oxide in sealed steel drums; courier bags in separate cartons",
                 "printed mailing bags on pallets", "快递袋 in cartons",
                 "invoice sent by e-mail"):
        assert not _hit(matcher, text), text


def test_a_term_holding_a_whole_exception_counts() -> None:
    matcher = _terms("military_terms")
    for text in ("Japan Maritime Self-Defense Force (JMSDF)", "陆上自衛隊", "uso militare",
                 "thermal sights supplied to the armed services"):
        assert _hit(matcher, text), text
    for text in ("self-defense keychains", "graphite coatings for defence against corrosion",
                 "fire defence equipment", "非军事用途，仅用于民用光纤预制棒生产",
                 "non-military use only"):
        assert not _hit(matcher, text), text
    assert not _hit(_terms("military_use_words"), "missile-shaped novelty drink bottles")


def test_a_term_after_non_says_what_the_goods_are_not() -> None:
    commodities = _terms("common_commodities")
    assert not _hit(commodities, "White oxide powder, non-aluminium, 99.99%")
    assert _hit(commodities, "Aluminium ingots, non-alloy")
    assert not _hit(_terms("named_materials"), "Rare earth metal ingots, non-neodymium")


def test_a_term_after_a_negation_in_its_clause_does_not_count() -> None:
    military = _terms("military_terms")
    assert not _hit(military, "civil RF amplifiers; not for military use or military end users")
    assert _hit(military, "not for export; military use")  # another clause
    assert not _hit(_terms("concealment_terms"), "open-top drums, nothing hidden: labelled")
    assert not _hit(_terms("postal_terms"), "sealed drums; documents sent separately by courier")
    assert _hit(_terms("vague_descriptions"), "Non-ferrous smelting residue for recycling")


def test_a_term_joined_to_free_says_what_the_text_is_without() -> None:
    concealment = _terms("concealment_terms")
    assert not _hit(concealment, "plain labelled bags; covert-free, tamper-evident wrap")
    assert _hit(concealment, "covert packing, free of charge")
    assert not _hit(concealment, "FIBC bags with concealed-zipper discharge spout")
    assert _hit(concealment, "magnets concealed in zipper bags")
    assert not _hit(concealment, "FIBC bags with hidden-seam (sift-proof) stitching")
    assert not _hit(concealment, "container closed with a concealed-bolt high-security seal")


def test_false_labels_in_other_languages() -> None:
    concealment = _terms("concealment_terms")
    for text in ("外包装伪标为“氧化铝粉”", "cajas etiquetadas falsamente como «piezas de repuesto»",
                 "ré-étiqueté « dioxyde de titane » pour le transport",
                 "поддельная маркировка на коробках", "bao bì dán nhãn giả 'bột đá vôi'"):
        assert _hit(concealment, text), text
    assert not _hit(concealment, "净重实为25公斤，铁桶包装")


def test_vague_descriptions() -> None:
    pattern = _terms("vague_descriptions")
    for text in (
        "Alloy scrap",
        "Metal samples for testing",
        "Ceramic parts",
        "industrial materials",
        "grey powder",
        "General cargo",
        "mineral samples",
        "样品",
        "合金废料",
        "陶瓷配件",
        "Лом сплавов, разное",
        "Rohstoffe für die Industrie",
        "Articles as per HS 8110.10, see contract annex",
        "phế liệu kim loại",
        "Próbki metali do badań",
        "RE oxide, TREO >= 99.0 %, per customer spec RS-2",
        "Liquid Metal 100g Magic Melting Experiment Material",
    ):
        assert _hit(pattern, text), text
    for text in (
        "Lanthanum oxide 99.99%",
        "NdFeB magnets N52",
        "Indium ingots 99.995%",
        "Neodymium metal",
        "Cotton T-shirts",
        "Gallium metal 99.99% ingots",
        "金属镧",
        "钕铁硼磁铁 N52",
    ):
        assert not _hit(pattern, text), text


def test_concealment_terms() -> None:
    pattern = _terms("concealment_terms")
    for text in (
        "mixed with ceramic tiles in the same cartons",
        "hidden inside machinery",
        "drums with a false bottom",
        "packed among other goods",
        "undeclared pallets",
        "夹藏于瓷砖中",
        "与其他货物混装",
        "mixed with zinc ingots to avoid inspection",
        "wrapped in carbon paper to defeat x-ray",
        "spray-painted to resemble lead ingots",
        "GE INGOTS INSIDE ZN INGOT BUNDLES SAME STRAPPING NO SEP MARKS",
        "藏於陶瓷花瓶夾層內，外箱標示為工藝品",  # traditional characters
        "บรรจุปนกับของเล่นพลาสติกในกล่องเดียวกัน ไม่มีฉลาก",  # Thai: no spaces between words
        "أكياس مخفية داخل شحنة أدوات منزلية مختلطة",
        "Bags stowed at the back of the container behind a false front of flat-pack furniture",
        "Split into 48 parcels, each booked on a separate air waybill to stay below the "
        "inspection threshold",
        "Ingots painted grey and cast to look like lead fishing sinkers",
        "家具の中に隠して梱包",
        "bags placed under layers of compound fertiliser sacks, not shown on outer marks",
        "magnet blocks placed inside the loudspeaker component cartons as goods of same nature",
    ):
        assert _hit(pattern, text), text
    for text in ("sealed steel drums on pallets", "25 kg bags on pallets", "wooden crates",
                 "magnetically shielded wooden crates, labelled as permanent magnets",
                 "ingot bundles on pallets, relabelled with the consignee's warehouse barcodes",
                 "tamper-evident steel drums with concealed security seals",
                 "double-bagged to avoid contamination, drums x-ray inspected"):
        assert not _hit(pattern, text), text


def test_common_commodities() -> None:
    pattern = _terms("common_commodities")
    for text in (
        "Copper cathodes, grade A",
        "Aluminium ingots",
        "Cotton T-shirts",
        "plastic pellets",
        "阴极铜",
        "纺织品",
        "Đồng catốt điện phân 99,99% dạng tấm",
        "Kupferkathoden, Grade A",
        "65W GaN Charger USB-C PD Fast Charger Gallium Nitride",
        "Ammonium dimolybdate (ADM) 99%",
        "Carbon black N550 pellets",
        "медные катоды",
    ):
        assert _hit(pattern, text), text
    for text in (
        "NdFeB magnets N52",
        "钕铁硼磁铁 N52",
        "Lanthanum oxide",
        "Metal samples for testing",
        "Alloy scrap",
        "QUARTZ FOCUS RING 300MM ETCH CHAMBER P/N QFR-300-7",
        "Trimethylgallium (TMGa) 6N, electronic grade, in steel bubblers",
        "Tin dioxide SnO2 99.9% powder",
        "Copper sputtering target 6N, bonded to backing plate",
        # what the goods are for
        "Semi-graphitic carbon cathode blocks for aluminium reduction cells",
    ):
        assert not _hit(pattern, text), text
    assert _hit(pattern, "Aluminium ingots for aluminium casting")


def test_forwarder_name_terms() -> None:
    pattern = _terms("forwarder_name_terms")
    for text in (
        "Sunrise Logistics Sdn Bhd",
        "Pacific Freight Forwarding Ltd",
        "Global Express Cargo",
        "深圳市顺达国际货运代理有限公司",
        "上海远航物流有限公司",
        "Rápido Cargas Agenciamento Ltda",
    ):
        assert _hit(pattern, text), text
    for text in [*CLEAN_PARTIES, "Raytheon Missiles & Defense", "湖南金和材料有限公司"]:
        assert not _hit(pattern, text), text


@pytest.mark.parametrize(
    ("alias", "code"),
    [
        ("马来西亚", "MY"),
        ("馬來西亞", "MY"),
        # pycountry's translations: the buyers' and hubs' languages
        ("Германия", "DE"),
        ("ドイツ", "DE"),
        ("대한민국", "KR"),
        ("Almanya", "DE"),
        ("Singapura", "SG"),
        ("الإمارات العربية المتحدة", "AE"),
        ("香港", "HK"),
        ("Hongkong", "HK"),
        ("澳門", "MO"),
        ("UAE", "AE"),
        ("迪拜", "AE"),
        ("新加坡", "SG"),
        ("Lao PDR", "LA"),
        ("东帝汶", "TL"),
        ("East Timor", "TL"),
        ("Burma", "MM"),
        ("汶莱", "BN"),
        ("越南", "VN"),
        ("Ivory Coast", "CI"),
        ("Côte d’Ivoire", "CI"),
        ("DRC", "CD"),
        ("刚果（金）", "CD"),
        ("Congo-Brazzaville", "CG"),
        ("Swaziland", "SZ"),
        ("Cape Verde", "CV"),
        ("The Gambia", "GM"),
        ("南非", "ZA"),
        ("尼日利亚", "NG"),
        ("埃塞俄比亚", "ET"),
        ("摩洛哥", "MA"),
        ("吉布提", "DJ"),
        ("中國", "CN"),
        ("ＭＡＬＡＹＳＩＡ", "MY"),
        # hub ports, UN/LOCODEs and a place followed by its country
        ("Tanjung Pelepas", "MY"),
        ("巴生港", "MY"),
        ("SGSIN", "SG"),
        ("HK HKG", "HK"),
        ("AEJEA", "AE"),
        ("Dubai, AE", "AE"),
        ("Rotterdam, Netherlands", "NL"),
        ("Korea, Republic of", "KR"),
    ],
)
def test_country_aliases(alias: str, code: str) -> None:
    assert to_alpha2(alias) == code


@pytest.mark.parametrize("text", ["sgsin", "ZZABC", "Foo, Bar", "Hamburg, Atlantis", "ABC"])
def test_unknown_countries(text: str) -> None:
    assert to_alpha2(text) is None


def test_country_alias_table_is_consistent() -> None:
    table = yaml.safe_load(
        (ROOT / "service" / "reference" / "data" / "country_aliases.yaml").read_text("utf-8")
    )
    seen: dict[str, str] = {}
    for code, names in table.items():
        assert pycountry.countries.get(alpha_2=code) is not None, code
        for name in names:
            key = normalise(name).casefold()
            assert seen.setdefault(key, code) == code, f"{name!r} is {seen[key]} and {code}"
