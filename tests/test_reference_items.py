"""Controlled-item matching against the real rules/lists/controlled_items.yaml."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.reference.items import (
    MAX_NAMES,
    ItemCatalogue,
    compile_terms,
    description_facts,
    normalise,
)
from service.reference.text import among_text, carriage_text, label_text

LISTS = Path(__file__).resolve().parents[1] / "rules" / "lists"


def _entries() -> list[dict[str, Any]]:
    data = yaml.safe_load((LISTS / "controlled_items.yaml").read_text("utf-8"))
    entries: list[dict[str, Any]] = data["entries"]
    return entries


@pytest.fixture(scope="module")
def catalogue() -> ItemCatalogue:
    return ItemCatalogue.from_entries(_entries())


def _id(catalogue: ItemCatalogue, description: str) -> str | None:
    item = catalogue.named(description)
    return item.id if item else None


@pytest.mark.parametrize(
    ("description", "item_id"),
    [
        # the labelled dev shipments
        ("高纯镓 99.999%", "gallium-metal"),
        ("Germanium dioxide GeO2 99.999%", "germanium-dioxide"),
        ("Gallium metal 99.99% ingots", "gallium-metal"),
        ("Spherical graphite, battery anode grade", "graphite-spherical"),
        ("Sintered NdFeB magnets, terbium grain-boundary diffused", "ndfeb-tb-dy-magnet"),
        ("Tungsten trioxide WO3 (yellow tungsten oxide)", "tungsten-oxide"),
        ("Antimony ingots 99.65%", "antimony-metal"),
        ("Dysprosium oxide Dy2O3 99.5%", "dysprosium-oxide"),
        # formulas alone, case-sensitive whole tokens
        ("GeO2", "germanium-dioxide"),
        ("GaAs wafers, 6 inch", "gallium-arsenide"),
        ("GaN epitaxial wafers", "gallium-nitride"),
        ("Ga 99.99", "gallium-metal"),
        ("Sb2O3 99.995%", "antimony-oxide"),
        ("Tb4O7 powder", "terbium-oxide"),
        ("SmCo5 magnets", "samarium-cobalt-magnet"),
        ("Dy₂O₃ 99.9%", "dysprosium-oxide"),
        ("Nd2Fe14B magnets with Dy", "ndfeb-tb-dy-magnet"),
        ("APT 88.5% WO3 min", "tungsten-apt"),
        ("(NH4)10[H2W12O42]·4H2O", "tungsten-apt"),
        # Chinese names, traditional characters, full-width text
        ("二氧化锗", "germanium-dioxide"),
        ("锗锭 区熔", "germanium-metal"),
        ("锑锭 99.65%", "antimony-metal"),
        ("球形石墨", "graphite-spherical"),
        ("氧化镝 99.5%", "dysprosium-oxide"),
        ("烧结钕铁硼磁体（含铽）", "ndfeb-tb-dy-magnet"),
        ("釹鐵硼磁鐵（含鏑）", "ndfeb-tb-dy-magnet"),
        ("高純鎵", "gallium-metal"),
        ("仲钨酸铵", "tungsten-apt"),
        ("碳化钨粉", "tungsten-carbide"),
        ("ＧＡＬＬＩＵＭ　ＭＥＴＡＬ　９９．９９％", "gallium-metal"),
        ("ＧｅＯ２", "germanium-dioxide"),
        # the most specific name wins
        ("Indium gallium arsenide (InGaAs) photodiode wafers", "indium-gallium-arsenide"),
        ("Gallium (III) oxide powder", "gallium-oxide"),
        ("Terbium oxide for NdFeB magnets", "terbium-oxide"),
        ("Tb-NdFeB arc segments", "ndfeb-tb-dy-magnet"),
        ("NdFeB magnets N42SH, Dy 2%", "ndfeb-tb-dy-magnet"),
        ("Natural flake graphite -100 mesh", "graphite-natural-flake"),
        ("Expandable graphite 50 mesh", "graphite-expanded"),
        ("Zone-refined germanium ingots", "germanium-metal"),
        ("Antimony concentrate Sb 55%", "antimony-ore"),
        ("Indium antimonide wafers", "indium-antimonide"),
        ("Scandium oxide 99.99%", "scandium-oxide"),
        ("Yttria stabilised powder", "yttrium-oxide"),
        ("Dysprosium-iron alloy", "dysprosium-metal"),
        ("Samarium cobalt magnets Sm2Co17", "samarium-cobalt-magnet"),
        ("Holmium oxide Ho2O3", "holmium-oxide"),
        ("Synthetic diamond micropowder", "superhard-diamond-micropowder"),
        ("Artificial graphite anode material", "graphite-anode-artificial"),
        # a qualifier between the words of a name
        ("Spherical purified graphite 99.95%, battery grade", "graphite-spherical"),
        ("Natural large flake graphite +50 mesh", "graphite-natural-flake"),
        ("Lithium-ion pouch cells, 320 Wh/kg", "lithium-ion-battery-high-energy"),
        ("Li-ion prismatic cell 305 Wh/kg", "lithium-ion-battery-high-energy"),
        ("Dysprosium metal sputtering targets 99.9%", "dysprosium-target"),
        ("Aluminium-scandium alloy sputtering targets AlSc 30 at.%", "scandium-target"),
        # ERP abbreviations
        ("GE ZR INGOT 50OHM", "germanium-metal"),
        ("SPH GRAPH 15UM 99.95", "graphite-spherical"),
        # names in other languages
        ("Blähgraphit (expandierbarer Graphit), 80 mesh", "graphite-expanded"),
        ("Tungsten karbür tozu (WC), tane boyutu 0,8 µm", "tungsten-carbide"),
        ("Gálio metálico 4N", "gallium-metal"),
        ("Kim loại gali 99,99%", "gallium-metal"),
        ("Grafito natural en escamas +100 mallas", "graphite-natural-flake"),
        ("鱗片状黒鉛 -100 mesh", "graphite-natural-flake"),
        ("Parawolframate d'ammonium (APT)", "tungsten-apt"),
        ("Disprosio metálico 99,5%", "dysprosium-metal"),
        ("Диспрозий металлический", "dysprosium-metal"),
        ("Gali kim loại 99,99%", "gallium-metal"),
        ("Tb sputtering target 99.9 % (3N), bonded to Cu backing plate", "terbium-target"),
        ("AlSc sputtering target, Sc 30 at.%, dia. 300 mm / 铝钪合金靶材", "scandium-target"),
        ("GaN free-standing substrates 2-inch", "gallium-nitride"),  # "free-standing" is no "free"
        ("GRAPHIT SPHAER. 18MY BATTERIEQUALITAET MAT 400630", "graphite-spherical"),
        ("LYSO:Ce scintillator crystals (lutetium-yttrium oxyorthosilicate)", "lutetium-oxide"),
        ("SB 99.65 INGOT 25KG", "antimony-metal"),
        ("كربيد التنغستن WC مسحوق", "tungsten-carbide"),
        ("Grafite esférico para anodo de baterias", "graphite-spherical"),
        ("خام الأنتيمون (ستيبنيت) مركز، محتوى Sb 60%", "antimony-ore"),
        # an element symbol standing apart from a formula
        ("gallium (Ga) 99.99% ingots", "gallium-metal"),
        ("Ge/Ga scrap", "germanium-metal"),
        ("5 kg Ga ingots 4N", "gallium-metal"),  # a quantity before the symbol, not a gauge
        # a CAS Registry Number alone
        ("CAS 12064-62-9, 99.99 %, white powder, 25 kg drums", "gadolinium-oxide"),
        ("7440-56-4 ingots", "germanium-metal"),
        ("Ho metal 99.9 % (Ho/TREM), ingot pieces", "holmium-metal"),
        # scripts of South Asia (read as substrings: their vowel signs split words) and more
        ("गैलियम धातु सिल्लियाँ, शुद्धता 99.99% (4N)", "gallium-metal"),
        ("অ্যান্টিমনি ইনগট, বিশুদ্ধতা ৯৯.৬৫%", "antimony-metal"),
        ("Lingouri de stibiu (antimoniu) 99,65 %", "antimony-metal"),
        ("Gömbgrafit, akkumulátor-anód minőség, D50 = 17 µm", "graphite-spherical"),
        ("غرافيت طبيعي قشري، كربون ثابت 95%، حجم الحبيبات +80 ميش", "graphite-natural-flake"),
        # a name written so as not to be read, and pinyin
        ("Ga11ium meta1 ingots 4N", "gallium-metal"),
        ("G a l l i u m  99.999% ingots", "gallium-metal"),
        ("Gal-lium ingots 99.99%", "gallium-metal"),
        ("4ntim0ny ingots 99.65%", "antimony-metal"),
        ("Germ4nium sample pieces 5N", "germanium-metal"),
        ("Linpian shimo, +100 mesh, 94% C", "graphite-natural-flake"),
        ("Tan hua wu fen, 0.8 micron, for cemented carbide", "tungsten-carbide"),
    ],
)
def test_named_hits(catalogue: ItemCatalogue, description: str, item_id: str) -> None:
    assert _id(catalogue, description) == item_id


@pytest.mark.parametrize(
    ("description", "item_id"),
    [
        ("Gallium metal 6N, lead-free packing", "gallium-metal"),
        ("Gallium ingots 99.99%, Pb < 1 ppm", "gallium-metal"),
        ("Germanium ingots, no pallets", "germanium-metal"),
        ("Antimony ingots 99.65%, Pb-free, As < 50 ppm", "antimony-metal"),
        ("高纯镓 99.999%，无铅包装", "gallium-metal"),
        ("Tungsten carbide powder, cobalt-free", "tungsten-carbide"),
        # the compounds the announcements list are their own items
        ("Germanium tetrachloride GeCl4", "germanium-tetrachloride"),
        ("锑化铟单晶", "indium-antimonide"),
        ("氧化镓", "gallium-oxide"),
        ("硫化锑精矿", "antimony-ore"),
        ("Gallium metal 4N, chloride < 5 ppm", "gallium-metal"),
        # the material itself, whatever it is for
        ("Tungsten carbide powder for drill bits", "tungsten-carbide"),
        ("WC-Co tungsten carbide grade YG8 for drill bits", "tungsten-carbide"),
        ("GaN epitaxial wafers for LED chips", "gallium-nitride"),
        ("GaN substrate wafer 2 inch chip grade", "gallium-nitride"),  # a form ends the run
        ("Gallium nitride (GaN) wafers for power chips", "gallium-nitride"),
        ("Tungsten carbide powder YG8 insert grade", "tungsten-carbide"),  # a grade, not inserts
        ("GaN chip-grade epitaxial layers", "gallium-nitride"),
        # a noun right before a form says what the form is for
        ("NdFeB motor magnets 42UH, Dy 3%", "ndfeb-tb-dy-magnet"),
        ("Motor magnets, sintered NdFeB with Dy 3%", "ndfeb-tb-dy-magnet"),
        ("NdFeB 48UH (Tb GBD) rotor segments 40x12x4", "ndfeb-tb-dy-magnet"),
        # a form in the plural before an article's noun: the form, sold for the article
        ("Arc Segment NdFeB Magnets N48SH Dysprosium Diffused BLDC Motor 200pcs",
         "ndfeb-tb-dy-magnet"),
        ("Antimony ingots 99.65%, lead < 0.1%", "antimony-metal"),
        # a long hyphenated word with no article after it is read in one pass (the words
        # between name and article are matched possessively)
        ("GaN " + "a-" * 2000 + "b wafers", "gallium-nitride"),
    ],
)
def test_incidental_mentions_of_other_names(catalogue: ItemCatalogue, description: str,
                                            item_id: str) -> None:
    """Only a name mentioned as absent, as a limit, as a finish or inside the name of another
    compound is dropped: the goods' own name still names them."""
    assert _id(catalogue, description) == item_id


@pytest.mark.parametrize(
    "description",
    [
        "Cotton T-shirts",
        "Alloy scrap",
        "Metal samples for testing",
        "Copper cathodes, grade A",
        "Ceramic tiles",
        "Gas cylinders",  # "Ga" is a whole token only
        "GAS turbine parts",
        "Germany sample",
        "ge lighting fixtures",  # formulas are case-sensitive
        "GaAsP",  # another compound: no whole-token formula inside
        "Ceramic WC pans",  # WC is deliberately not a formula
        "Lanthanum oxide 99.99%",
        "Neodymium oxide",
        "Graphite electrodes UHP",  # bare graphite is not named
        "Indium ingots 99.995%",  # No. 10 indium items are not listed
        "Bismuth needles",
        "Diamond wire mesh fence",
        # mentioned only as absent, as an impurity limit, or as a finish or dopant
        "Gallium-free SAC305 solder paste",
        "Lead- and germanium-free optical glass blanks",
        "Optical glass, free of germanium and gallium",
        "Solder wire without antimony",
        "不含镓焊锡膏",
        "ジスプロシウム不使用の合金",  # absent, in Japanese after the name
        "アルミホイール aluminium alloy wheels 17x7J, Ga・Ge 不検出",  # not detected
        "PTFE lined crucibles 500 ml for galium/gallium melting lines",  # what they are for
        "はんだ合金（ガリウム・ゲルマニウムフリー）",
        "Copper cathodes grade A, Sb < 5 ppm, Bi < 1 ppm",
        "Zinc ingots, Sb max 0.002%",
        "Copper rod, Sb 3 ppm",
        "Circular saw blades with tungsten-carbide-tipped teeth",
        "Ga-doped ZnO sputtering target",
        "Yttria-stabilised zirconia powder 3YSZ",  # a stabiliser of zirconia
        "氧化钇稳定氧化锆",
        "CIGS thin-film solar modules, Cu(In,Ga)Se2 absorber",  # a symbol inside a formula
        "Cu(Ga,In)Se2 sputtering target",
        "Lithium-ion pouch cells, 250 Wh/kg",  # a qualifier does not lift the threshold
        # an article made of the material, which the announcement does not list
        "Tungsten Carbide Rotary Burr Set 10pcs",
        "Tungsten carbide wedding band 8mm",
        "Tungsten carbide inserts CNMG120408",
        "65W GaN fast charger",
        "Chargeur GaN 65 W USB-C",  # French: the article first
        "Magnet motor 500 W, Dy-diffused rotor",  # "magnet" names the kind of motor
        "GaN 65W USB-C fast wall chargers, 3 ports",  # a few words between name and article
        # brackets stand between the words like spaces
        "65W USB-C wall charger. Technology: GaN III (gallium nitride) power chip",
        "GaN (gallium nitride) chargers, 65 W",
        # an article before the name, joined by a preposition and a word or two
        "Permanent-magnet synchronous traction motors 150 kW, rotors with Dy-diffused NdFeB "
        "magnets (assembled units)",
        "Circular saw blades with tungsten carbide teeth",
        "Fraise en carbure de tungstène, queue 6 mm",
        # the name inside another material's name
        "Lead-acid starter batteries 12 V 60 Ah, lead-antimony grids",
        "Nickel antimony titanium yellow rutile pigment (C.I. Pigment Yellow 53)",
        "CIGS (copper indium gallium selenide) thin-film PV modules 150 W",
        "氮化镓充电器",
        "Wolframcarbid-Schaftfräser, 4-Schneider",
        "BURR, TUNGSTEN CARBIDE, 6MM",
        # absent, in other languages
        "Pâte à braser SAC305 sans gallium ni plomb",
        "Lötdraht ohne Antimon",
        # another compound of the element, which the announcement does not list
        "Gallium trichloride GaCl3, anhydrous",
        "Trimethyl gallium, MOCVD grade",
        "Gallium nitrate solution",
        "Germanium sulfide powder",
        "Antimony trichloride",
        "Antimony potassium tartrate",
        # a multiplying prefix on a compound word
        "Antimony pentachloride SbCl5, 99%",
        "Organic germanium Ge-132 (bis-carboxyethyl germanium sesquioxide) powder 99%",
        # an impurity table, a dopant's concentration, a range of a minor constituent, an oxide
        # of neodymium (no magnet)
        "OFE copper bars C10100: Cu 99.99 % min, O 3 ppm, Ag 12, Sb 0.4, As 0.5, Ga <0.1, Ge <0.1,"
        " In <0.1 ppm",
        "Monocrystalline silicon wafers, p-type Ga-doped (Ga ~1E16 cm-3), M10 182 mm",
        "Lead-antimony alloy ingots PbSb2.5 for battery grids: Sb 2.4-2.6 %, As 0.15, Pb bal.",
        "Praseodymium-neodymium oxide (Pr,Nd)2O3, TREO 99 %; Dy2O3/TREO <0.01 %",
        # the assay of an ore after a formula: no oxide
        "Tungsten concentrate WO3 65%",
        "Scheelite concentrate, WO3 70 %",
        # a minor constituent, what the goods are for, a laboratory standard
        "Lead-antimony alloy ingots PbSb2.5 (Pb 97.4 %, Sb 2.5 %, As/Sn trace) for battery grids",
        "MOCVD reactor spare part: SiC-coated wafer carrier (satellite disc), for GaN LED epitaxy"
        " tools",
        "Antimony tribromide",
        "Gallium sesquisulfide",
        # impurity limits after a list of formulas
        "Cerium oxide polishing powder CeO2/TREO >= 99.9% (Y2O3, Dy2O3, Tb4O7 each < 10 ppm)",
        # a minor constituent of another material, and other kinds of graphite
        "Zinc concentrate (sphalerite), Zn 52%, Ge 0.01%, Ag 80 g/t",
        "Bauxite (diasporic), Al2O3 62%, SiO2 6%, Ga-bearing (Ga 60 ppm)",
        "Amorphous (microcrystalline) natural graphite lumps, fixed carbon 80%",
        "Graphite naturel amorphe, carbone fixe 80 %",
        # a genus and its species' epithet: a herb, not a misspelt element
        "Dried herb Galium aparine (cleavers), cut and sifted",
        "Galium verum (lady's bedstraw), dried flowering tops",
        # an oxidation state between name and compound word, a formula with a bracketed group
        "Gallium(III) nitrate hydrate, Ga(NO3)3·xH2O, 99.99% (metals basis)",
        "Antimony (III) chloride, reagent",
        "Trimethylgallium (TMGa), Ga(CH3)3, electronic grade 6N",
        "Germane (GeH4, germanium tetrahydride) electronic grade, 10 L cylinders",
        "硝酸镓",
        "三甲基镓",
        "三氯化锑",
        "锑酸钠",
        "锗酸铋晶体",
        "锗石能量手链（保健饰品，非金属锗）２０００件",
        "Ácido gálico 98% grau farmacêutico (não contém gálio)",
        "Neodymium magnets N35, not SmCo",
        "Antimony triacetate, PET catalyst grade, Sb 40%",
        # a quoted title or brand, a list of absent elements
        "Vinyl LP records, band 'Gallium' album 'Liquid at Body Temperature'",
        "Board game 'Antimony & Ash' (cards, cardboard tiles, wooden tokens, dice), boxed",
        "Lead-free solder wire, gallium- and germanium-free",
        "Aluminium ingots 99.7%, excluding gallium (Ga below 0.01%)",
        "Lanthanum oxide La2O3 99.99%, contains no Sm, Gd, Tb, Dy, Lu, Sc or Y",
        # codes, initials and alloys are not names written apart
        "Part GA1500 bolts M8",
        "A B C D E F G bolts",
        "Co-Ni alloy wire",
        # a catalyst or an alloy's other metal
        "লেড-অ্যাসিড ব্যাটারি, সীসা-অ্যান্টিমনি গ্রিড",
        "PET bottle-grade resin IV 0.80, Sb-catalysed (锑系催化剂)",
        "Lead-acid batteries 12V, lead-antimony positive grids (铅锑合金板栅)",
        "Ethylene glycol antimony (antimony glycolate) 99.0%, PET polycondensation catalyst",
        "Antimony-doped tin oxide (ATO) conductive powder, SnO2:Sb",  # a dopant, after a host
        "PET bottle-grade resin (polymerised with antimony catalyst)",
        "Silicon-germanium (SiGe) epitaxial wafers on 200 mm silicon substrates, Ge 25 at%",
        # a gauge, not the symbol
        "18 Ga galvanised brad nails, 50 mm",
        "Stainless steel tie wire 20 ga., 1 kg coils",
        # how the goods were tested, and for what
        "Dried shiitake mushrooms; radioactivity tested by HPGe (high-purity germanium) gamma "
        "spectrometry, Cs-137 not detected",
        "Zinc ingots SHG analysed by ICP-MS for Ga, Ge, In",
    ],
)
def test_named_misses(catalogue: ItemCatalogue, description: str) -> None:
    assert catalogue.named(description) is None


@pytest.mark.parametrize(
    ("description", "controlled"),
    [
        ("Antimony trioxide 99.5%", False),
        # element symbols in capitals after "W/", "&" or "/"; "W/O" negates them
        ("SINTERED NDFEB MAGNETS 48UH W/ DY & TB, NI COATED", True),
        ("NDFEB N42 WITH DY", True),
        ("DY-FREE NDFEB N45 ARC MAGNETS W/O DY/TB, ZN COATED", False),
        ("NDFEB MAGNETS N52, NO DY/TB", False),
        ("Спечені постійні магніти NdFeB з вмістом диспрозію 3,5 %, марка 45UH", True),
        ("CAS No. 1309-64-4, 99.5%", False),  # antimony trioxide by its CAS number, below 99.99 %
        ("CAS No. 1309-64-4, 99.999%", True),
        ("Antimony trioxide 99.8% flame retardant grade", False),
        ("Antimony trioxide", False),  # unstated purity clears the oxide
        ("Antimony trioxide 99.99%", True),
        ("Antimony trioxide Sb2O3 99.8% (below 99.99%: licence not required)", False),
        ("Antimony trioxide, purity not less than 99.99%", True),
        ("Antimony trioxide 99.999 %", True),
        ("三氧化二锑 4N", True),
        ("三氧化二锑 3N", False),
        ("Antimony pentoxide 5N", True),
        ("Stibine 99.999%", False),  # hydride only above 99.999 %
        ("Stibine 99.9999%", True),
        ("Artificial graphite blocks 99.95%, 35 MPa, 1.85 g/cm3", True),
        # an ash limit is no impurity list: the graphite is still the goods
        ("Fine-grain artificial graphite, ash < 20 ppm (99.998%), flexural 60 MPa, density "
         "1.90 g/cm3", True),
        ("Artificial graphite blocks 99.95%", True),  # strength and density unstated
        # a compressive strength is not the flexural strength
        ("Isostatic graphite 99.99%, 1.78 g/cm3, compressive strength 85 MPa, flexural strength"
         " 28 MPa", False),
        ("Isostatic graphite 99.99%, 1.78 g/cm3, flexural strength 35 MPa, compressive 90 MPa",
         True),
        ("Artificial graphite blocks 99.95%, 35 MPa, 1.60 g/cm3", False),
        ("Artificial graphite blocks 99.95%, 25 MPa", False),
        ("Artificial graphite blocks 99.5%", False),
        ("Artificial graphite blocks", False),  # purity unstated
        ("NdFeB magnets N52", False),
        ("Sintered NdFeB magnets, grain boundary diffusion", False),
        ("NdFeB magnets, dysprosium-free", False),
        ("NdFeB magnets, no Dy", False),
        ("NdFeB magnets, without terbium", False),
        ("钕铁硼磁铁 N52", False),
        ("钕铁硼磁铁 不含镝", False),
        # negations and element names in other languages
        ("Imanes de NdFeB sin disprosio", False),
        ("NdFeB-Magnete, Dy-frei", False),
        ("Aimants NdFeB sans dysprosium", False),
        ("ネオジム磁石 NdFeB ジスプロシウムフリー", False),
        # a list of names before the Japanese or Korean word for absent; magnets named only in
        # Japanese or Korean
        ("ネオジム磁石 N35 Niめっき（Dy・Tb不使用）/ SINTERED NDFEB N35, NO DY/TB", False),
        ("NdFeB magnets (Dy、Tbフリー)", False),
        ("ネオジム磁石（ジスプロシウム不使用）", False),
        ("ネオジム磁石（ジスプロシウム含有）", True),
        ("네오디뮴 자석 (디스프로슘 프리)", False),
        ("네오디뮴 자석, 디스프로슘 함유", True),
        ("Imanes de NdFeB con disprosio", True),
        ("مغناطيس نيوديميوم NdFeB يحتوي على الديسبروسيوم", True),
        ("แม่เหล็กนีโอไดเมียม NdFeB เกรด N52 (ไม่มีดิสโพรเซียม/เทอร์เบียม)", False),
        ("NdFeB mıknatıs, disprosyum katkılı", True),
        # a certificate of analysis: zero, below detection, not detected
        ("Sintered NdFeB magnets N52; composition Nd 23.8, Pr 7.6, B 0.98, Fe bal. wt%; Dy 0, Tb 0;"
         " GB/T 13560", False),
        ("NdFeB magnets N42; CoA: PrNd 30.9 %, Dy <0.005 % (n.d.), Tb <0.005 % (n.d.)", False),
        ("NdFeB magnets N45SH, Dy 0.5 %", True),
        ("Sintered NdFeB magnets grade N42, dysprosium- and terbium-free", False),
        ("NdFeB magnets N52, SEM checked, Dy 2%", True),
        ("NdFeB magnets with terbium", True),
        ("Neodymium magnets, Dy-diffused", True),
        ("LFP cathode material, 2.6 g/cm3, 158 mAh/g", True),
        ("磷酸铁锂正极材料", True),  # both grades unstated
        ("LiFePO4 cathode powder, compaction density 2.4 g/cm3", False),
        ("Lithium iron phosphate, 150 mAh/g", False),
        ("Lithium-ion battery cells, 320 Wh/kg", True),
        ("Lithium-ion battery cells, 250 Wh/kg", False),
        ("Lithium-ion battery packs for e-bikes", False),  # energy density unstated
        ("Copper cathodes, grade A", False),
    ],
)
def test_thresholds(catalogue: ItemCatalogue, description: str, controlled: bool) -> None:
    assert (catalogue.named(description) is not None) is controlled


def test_failed_threshold_never_falls_back(catalogue: ItemCatalogue) -> None:
    # "antimony" alone names antimony metal, but the description names the oxide, which fails.
    assert catalogue.named("Antimony trioxide 99.5% (antimony white)") is None


def test_a_description_is_read_for_its_first_names_only(catalogue: ItemCatalogue) -> None:
    """Past MAX_NAMES names a description is a list of names: the rest are not read (each
    costs a look at its context), and the names read still name the goods."""
    listing = "Gallium nitride powder; " + "GaN, " * (3 * MAX_NAMES)
    assert len(catalogue._scan(catalogue._text(listing))) == MAX_NAMES
    assert _id(catalogue, listing) == "gallium-nitride"
    late = "GaN, " * MAX_NAMES + "germanium ingots"
    found = catalogue._scan(catalogue._text(late))
    assert max(m.end() for _, _, m, _ in found) < late.index("germanium")


def test_match_reports_what_named_the_item(catalogue: ItemCatalogue) -> None:
    found = catalogue.match("Sintered NdFeB magnets, terbium grain-boundary diffused")
    assert found is not None
    assert found.item.id == "ndfeb-tb-dy-magnet"
    assert found.matched == "Sintered NdFeB"
    text = normalise("Sintered NdFeB magnets, terbium grain-boundary diffused")
    assert text[found.span[0] : found.span[1]] == found.matched


@pytest.mark.parametrize(
    ("description", "item_id", "matched"),
    [
        ("SB 99.65 INGOT 25KG", "antimony-metal", "Sb"),
        ("GA 4N INGOT 99.99% 1KG/PC", "gallium-metal", "Ga"),
        ("TB METAL 99.9% TREM", "terbium-metal", "Tb"),
        ("GEO2 5N OPT-GRADE 10KG/BTL", "germanium-dioxide", "GeO2"),
        ("SB2O3 99.999% (5N) HIGH PURITY", "antimony-oxide", "Sb2O3"),
        ("DY2O3/TREO≥99.5% 25kg drum", "dysprosium-oxide", "Dy2O3"),
        ("SMCO 2:17 YXG-30H RING OD20", "samarium-cobalt-magnet", "SmCo"),
        ("NDFEB N48H TB GBD ROTOR SEGMENTS", "ndfeb-tb-dy-magnet", "NdFeB"),
        # capitals that are other words: a bare symbol needs a purity, grade or form after it
        ("EU STANDARD PALLETS", None, None),
        ("GE LIGHTING FIXTURES", None, None),
        ("TB HARD DRIVE ENCLOSURES", None, None),
        ("AIR GAP SPACER", None, None),
        ("GAN ZHOU TRADING SAMPLE BOX", None, None),
        ("NDFEB N35 BLOCK", None, None),
    ],
)
def test_formulas_written_in_capitals(catalogue: ItemCatalogue, description: str,
                                      item_id: str | None, matched: str | None) -> None:
    """ERP systems write descriptions in capitals; the match reports the formula it read."""
    found = catalogue.match(description)
    assert (found.item.id if found else None) == item_id
    assert (found.matched if found else None) == matched


@pytest.mark.parametrize(
    ("description", "item_id"),
    [
        # other languages
        ("Galliummetall 99,99 %, Barren", "gallium-metal"),
        ("Germaniumbarren, zonengereinigt, 99,999 %", "germanium-metal"),
        ("Antimontrioxid Sb2O3 99,99 %", "antimony-oxide"),
        ("trioxyde d'antimoine 99,99 %", "antimony-oxide"),
        ("Lingotes de galio 99,99 %", "gallium-metal"),
        ("óxido de disprosio 99,9 %", "dysprosium-oxide"),
        ("Wolframcarbidpulver, 1,0 µm", "tungsten-carbide"),
        ("ガリウム インゴット 純度９９．９９％", "gallium-metal"),
        ("산화디스프로슘 99.9%", "dysprosium-oxide"),
        ("галлий металлический 99,9999 %", "gallium-metal"),
        ("Wolfram carbide powder (WC)", "tungsten-carbide"),
        # a decimal comma is a decimal point: below the antimony oxides' 99.99 %
        ("trioxyde d'antimoine 99,8 %", None),
        # one letter off a name, as typed
        ("Galium metal 99.99% ingots", "gallium-metal"),
        ("Germainum ingots, zone refined", "germanium-metal"),
        ("Antimoney ingots 99.65%", "antimony-metal"),
        ("Tungstan carbide powder", "tungsten-carbide"),
        ("Erbium oxide 99.9%", "erbium-oxide"),  # a name of its own, not "terbium" misspelt
        ("Thalium sulfate", None),  # thallium or thulium? left as it is
        ("Geranium essential oil", None),  # a word of its own, not "germanium" misspelt
        ("Dioxyde de germanium 99,999 %", "germanium-dioxide"),  # a word of a name: kept
        ("Germaniun ingots", "germanium-metal"),
        ("Пластины германия монокристаллические", "germanium-metal"),
        ("Triphenylantimony (C6H5)3Sb 99.9999%", "antimony-organic"),
        ("Terbium(III,IV) oxide, 4N, powder", "terbium-oxide"),  # mixed valence
        ("Arseniuro di gallio policristallino 6N, lingotti", "gallium-arsenide"),
        ("Biossido di germanio 5N", "germanium-dioxide"),
        ("Trióxido de antimônio 99,995%", "antimony-oxide"),
        # an alloy target named with its other metal between: a target, not the alloy
        ("Scandium-aluminium alloy sputtering target Al-Sc 20at%", "scandium-target"),
        ("스칸듐-알루미늄 합금 스퍼터링 타겟, 직경 300mm", "scandium-target"),
        # a rare earth's other compounds
        ("Gadolinium oxysulfide Gd2O2S:Pr scintillator powder, 99.99%", "gadolinium-oxide"),
        ("Scandium iodide ScI3 anhydrous 99.99% for metal-halide lamp dosing", "scandium-oxide"),
        ("Batter mix, 25 kg bags", None),
    ],
)
def test_names_in_other_languages_and_as_typed(catalogue: ItemCatalogue, description: str,
                                                item_id: str | None) -> None:
    assert _id(catalogue, description) == item_id


def test_description_facts() -> None:
    facts = description_facts("Artificial graphite 99.95 %, flexural 35 MPa, density 1.85 g/cm³")
    assert facts.purity_pct == 99.95
    assert facts.flexural_strength_mpa == 35
    assert facts.density_g_cm3 == 1.85
    assert description_facts("Gallium 6N").purity_pct == 99.9999
    assert description_facts("Gallium 4N5").purity_pct == 99.995
    assert description_facts("NdFeB with 2% Dy").purity_pct is None
    assert description_facts("ＧａＡｓ　９９．９９９％").purity_pct == 99.999
    assert description_facts("trioxyde d'antimoine 99,99 %").purity_pct == 99.99
    assert description_facts("Sb2O3 99,995, 1,000 kg").purity_pct == 99.995
    dutch = description_facts("kunstmatig grafiet, buigsterkte 48,5 MPa, dichtheid 1,86 g/cm³")
    assert dutch.density_g_cm3 == 1.86 and dutch.flexural_strength_mpa == 48.5
    battery = description_facts("LFP cells 3.2 V 280 Ah, 165 Wh/kg; cathode 158 mAh/g")
    assert battery.energy_density_wh_kg == 165 and battery.capacity_mah_g == 158
    assert description_facts("LFP cells 280 Ah").capacity_mah_g is None


@pytest.mark.parametrize(("text", "purity"), [
    # what a total of impurities or ash leaves
    ("Antimony trioxide: total metallic impurities < 80 ppm (GDMS)", 99.992),
    ("Isostatic graphite, purified: ash < 20 ppm, 1.74 g/cm³", 99.998),
    ("Total impurities (Fe+Cu+Pb) < 50 ppm", 99.995),
    ("Sb2O3, impurities max. 0,01 %", 99.99),
    ("Moulded graphite, ash content ≤ 0.1 %", 99.9),
    ("Extruded graphite, ash 0.12–0.18 %", 99.82),  # a range at its upper end
    # a limit per element, or a list of elements, is no total
    ("Gallium, each impurity < 1 ppm", None),
    ("Sb2O3 99.5%, impurities: Pb 0.02%, As 0.01%", 99.5),
])
def test_purity_from_what_is_not_the_goods(text: str, purity: float | None) -> None:
    found = description_facts(text).purity_pct
    assert found == purity if purity is None else found == pytest.approx(purity)


def test_by_heading(catalogue: ItemCatalogue) -> None:
    def ids(code: str) -> set[str]:
        return {i.id for i in catalogue.by_heading(code)}

    assert {"gallium-metal", "germanium-metal"} <= ids("8112.92")
    assert ids("8112.92") == ids("811292") == ids("8112 92 90 10") == ids("8112.92.10")
    assert ids("8505.11") == {"samarium-cobalt-magnet", "ndfeb-tb-dy-magnet", "no57-magnet"}
    assert "dysprosium-oxide" in ids("2846.90") and "holmium-oxide" in ids("2846.90")
    assert {"graphite-spherical", "graphite-natural-flake"} <= ids("3801.90")
    assert ids("2825.60") == {"germanium-dioxide"}
    assert {"tungsten-oxide", "gallium-oxide"} <= ids("2825.90")
    assert ids("8110.10") == {"antimony-metal"}
    assert ids("6109.10") == set()
    assert ids("7601.10") == set()
    assert ids("8112") == set()  # a 4-digit code has no 6-digit heading
    assert ids("not a code") == set()


def test_headings(catalogue: ItemCatalogue) -> None:
    headings = catalogue.headings()
    assert {"811292", "282560", "380190", "850511", "284690", "284180", "811010"} <= headings
    assert "610910" not in headings
    assert all(len(h) == 6 and h.isdigit() for h in headings)


def test_windows(catalogue: ItemCatalogue) -> None:
    gallium = catalogue.get("gallium-metal")
    assert gallium is not None
    assert gallium.effective_from == date(2023, 8, 1)
    assert not gallium.in_force(date(2023, 7, 31))
    assert gallium.in_force(date(2023, 8, 1))
    assert not gallium.unverified(date(2030, 1, 1))
    tungsten = catalogue.get("tungsten-oxide")
    assert tungsten is not None and tungsten.in_force(date(2025, 2, 4))
    assert not tungsten.in_force(date(2025, 2, 3))
    dysprosium = catalogue.get("dysprosium-oxide")
    assert dysprosium is not None and not dysprosium.in_force(date(2025, 4, 3))
    assert dysprosium.in_force(date(2025, 4, 4))


@pytest.mark.parametrize(
    "item_id",
    ["holmium-oxide", "no57-magnet", "superhard-diamond-micropowder", "graphite-anode-artificial"],
)
def test_suspended_items_never_in_force_until_verified_end(
    catalogue: ItemCatalogue, item_id: str
) -> None:
    item = catalogue.get(item_id)
    assert item is not None
    assert item.suspended_until == date(2026, 11, 10)
    assert item.verified_until == date(2026, 11, 10)
    for day in (date(2025, 11, 7), date(2025, 11, 8), date(2026, 6, 1), date(2026, 11, 10)):
        assert not item.in_force(day)
        assert not item.unverified(day)
    assert item.unverified(date(2026, 11, 11))
    assert not item.suspended(date(2026, 11, 11))


def test_catalogue_contents(catalogue: ItemCatalogue) -> None:
    assert len(catalogue) == len({i.id for i in catalogue})
    assert {"gallium", "germanium", "antimony", "graphite", "tungsten", "rare-earth"} <= (
        catalogue.groups()
    )
    assert {"rare-earth-magnet", "superhard"} <= catalogue.groups()
    for el in (
        "samarium",
        "gadolinium",
        "terbium",
        "dysprosium",
        "lutetium",
        "scandium",
        "yttrium",
    ):
        for form in ("metal", "target", "oxide"):
            item = catalogue.get(f"{el}-{form}")
            assert item is not None and item.announcement == "MOFCOM/GAC No. 18 of 2025"
    for item in catalogue:
        assert item.source and item.name and item.announcement
        assert item.terms or item.formulas
    apt = catalogue.get("tungsten-apt")
    assert apt is not None and apt.hs_codes == ("2841801000",)


def _broken(**change: Any) -> list[dict[str, Any]]:
    entry = dict(_entries()[0])
    entry.update(change)
    return [entry]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": ""}, "id"),
        ({"effective": {"until": "2024-01-01"}}, "effective"),
        ({"effective": {"from": "yesterday"}}, "effective.from"),
        ({"hs": ["81129"]}, "hs"),
        ({"terms": "gallium"}, "terms"),
        ({"terms": [], "formulas": []}, "terms"),
        ({"priority": "high"}, "priority"),
        ({"thresholds": [{"property": "colour", "op": ">", "value": 1}]}, "thresholds[0].property"),
        ({"thresholds": [{"property": "purity_pct", "op": "~", "value": 1}]}, "thresholds[0].op"),
        ({"suspended": {"from": "2025-01-01"}}, "suspended"),
        ({"compound_words": "chloride"}, "compound_words"),
        ({"articles": [""]}, "articles"),
    ],
)
def test_bad_entries_name_index_and_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError) as err:
        ItemCatalogue.from_entries(_broken(**change))
    assert "entry 0" in str(err.value)
    assert f"'{field}'" in str(err.value)


def test_duplicate_ids_rejected() -> None:
    entry = _entries()[0]
    with pytest.raises(ValueError, match="unique"):
        ItemCatalogue.from_entries([entry, entry])


def test_compile_terms_for_keyword_lists() -> None:
    pattern = compile_terms(["mixed with", "false bottom", "夹藏"], ["GeO2"])
    assert pattern.search(normalise("Mixed  with ceramic tiles"))
    assert pattern.search(normalise("drums with FALSE-BOTTOMS"))
    assert pattern.search(normalise("夹藏于瓷砖中"))
    assert pattern.search(normalise("labelled GeO2"))
    assert not pattern.search(normalise("sealed steel drums on pallets"))
    assert not pattern.search(normalise("geo2"))
    assert not compile_terms([]).search("anything")


@pytest.mark.parametrize(("packaging", "label"), [
    ("steel drums labelled 'zinc ingots'", "zinc ingots"),
    ("drums labeled as copper scrap, palletised", "copper scrap"),
    ("cartons marked: ceramic tiles", "ceramic tiles"),
    ("drums labelled “Tin ingots”; wooden crates", "Tin ingots"),
    ("纸箱外标注为铜线", "铜线"),
    ("标签为“锌锭”", "锌锭"),
    ("stator cartons, shipping marks 'motor spare parts'", "motor spare parts"),
    ("tile cartons, outer marks 'floor tiles' only", "floor tiles"),
    ("ingots in light cartons, outer marking 'garden lights'", "garden lights"),
    ("in tableware cartons, declared together as tableware", "tableware"),
    ("segments loose inside e-bike motor cartons, listed as motor spare parts",
     "motor spare parts"),
    ("drums filled with ferroboron lumps on top, packing list shows ferroboron only",
     "ferroboron only"),
    ("sealed steel drums", None),
    ("UN-certified steel drums, labelled with product name and hazard class", None),
    ("magnetised blocks in shielded labelled cartons with steel keeper plates", None),
    ("cartons marked with 'spare parts'", "spare parts"),
    ("glass ampoule sealed under argon, in a labelled PE bottle and cardboard box", None),
    ("裝於外包裝標注為「氧化鑭」的鐵桶內", "氧化镧"),  # traditional characters
    ("unmarked cartons", None),
    ("unmarked, no marks", None),
])
def test_label_text(packaging: str, label: str | None) -> None:
    assert label_text(packaging) == label


@pytest.mark.parametrize(("packaging", "among"), [
    ("wafer boxes packed inside solar module cartons among PV modules", "PV modules"),
    ("APT bags packed inside crates of porcelain floor tiles", "porcelain floor tiles"),
    ("ingots amongst the spare parts; drums within containers of garden furniture",
     "spare parts; garden furniture"),
    # what a crate is made of, a count, or a load shared out: no other goods
    ("1 kg bottles inside cartons of 20, in crates of plywood", None),
    ("load split among 2 pallets", None),
    ("ingots shared among the drums", None),
    ("segments packed inside the motor cartons among the finished motors", "finished motors"),
    ("jumbo bags stowed in the middle of the zinc concentrate bags", "zinc concentrate bags"),
    ("sealed steel drums", None),
    # inside other things, not inside packages
    ("germanium bars packed inside speaker cabinets, listed as speaker parts",
     "speaker cabinets"),
    ("antimony powder inside drums of zinc oxide powder", "zinc oxide powder"),
    ("ingots inside hollow steel pipes", "hollow steel pipes"),
    ("inside padded aluminium cases", None),
    ("bottles inside PE liners inside fibre drums", None),
    ("sealed inside quartz ampoules under argon", None),
    ("labels inside and outside", None),
    ("germanium bars packed in between the zinc ingots in the same bundles",
     "zinc ingots in the same bundles"),
    ("separators in between layers", None),
    ("ingots stacked among bundles of ordinary lead pigs", "ordinary lead pigs"),
    ("Слитки сурьмы спрятаны среди запасных частей для тракторов",
     "запасных частей для тракторов"),
    ("inside drums of 25 kg", None),
])
def test_among_text(packaging: str, among: str | None) -> None:
    assert among_text(packaging) == among


@pytest.mark.parametrize(("packaging", "carriage"), [
    ("25 steel drums; 3/3 original B/L and EUC copy sent to consignee by SF Express courier "
     "(documents only)", "25 steel drums"),
    ("8 cartons; after import clearance at Lodz the cartons are handed to Poczta Polska",
     "8 cartons"),
    ("Original documents sent by DHL", None),
    # the goods' own carriage stays, papers or not
    ("Gallium ingots with original invoice, sent by DHL Express", "Gallium ingots with original "
     "invoice, sent by DHL Express"),
    ("5 kg bottles in DHL Express parcels. Invoice attached", "5 kg bottles in DHL Express "
     "parcels; Invoice attached"),
])
def test_carriage_text(packaging: str, carriage: str | None) -> None:
    assert carriage_text(packaging) == carriage


@pytest.mark.parametrize(("description", "item_id"), [
    # a finished article at the head: what it is made of or holds is not the goods
    ("Permanent-magnet synchronous EV traction motor, 150 kW, containing terbium-diffused NdFeB "
     "rotor magnets", None),
    ("AC servo motors 400 W featuring samarium cobalt (SmCo) rotor magnets", None),
    ("65W USB-C GaN fast charger (gallium nitride), 3-port", None),
    ("Titanium Germanium Bracelet for Men - Magnetic Energy Balance Link Wristband", None),
    ("Handheld thermal imaging camera 640x512 with germanium lens", None),
    ("Indexable carbide inserts CNMG120408-PM (tungsten carbide, CVD coated)", None),
    ("Milled zirconia dental crowns, yttria-stabilised (3Y-TZP)", None),
    ("PET/CT scanner system, whole-body, with LYSO (lutetium-yttrium oxyorthosilicate) crystals",
     None),
    ("GaN-on-Si power HEMT transistors, 650 V / 30 A, TO-247 package", None),
    ("ICP-MS multi-element calibration standard, 10 mg/L each of Ga, Ge, In, Sb in 5 % HNO3",
     None),
    ("Finished germanium aspheric lenses, AR/DLC coated, mounted in aluminium cells", None),
    ("RF front-end modules for 5G smartphones (packaged GaAs HBT power amplifier and switch)",
     None),
    # in capitals, the plural too
    ("65W USB-C PD WALL CHARGERS WITH GaN (GALLIUM NITRIDE) POWER TRANSISTORS, EU PLUG", None),
    ("PERMANENT-MAGNET SYNCHRONOUS TRACTION MOTORS 150 KW, ROTORS WITH Dy-DIFFUSED NdFeB MAGNETS",
     None),
    # no article at the head: a noun before a form or a generic word, or after the head
    ("NdFeB motor magnets 42UH, Dy 3%", "ndfeb-tb-dy-magnet"),
    ("Motor rotor parts: NdFeB magnet arcs with dysprosium (Dy 4.5 wt%)", "ndfeb-tb-dy-magnet"),
    ("Gallium ingots 99.99% and GaN chargers", "gallium-metal"),
    ("Antimony ingots 99.65% labelled as toys", "antimony-metal"),
    ("Dysprosium oxide 99.5% for motor magnets", "dysprosium-oxide"),
    ("Germanium lens blanks, 5N", "germanium-metal"),
    ("GaN-based blue LED packages SMD 2835 (InGaN chips, finished components on reels)", None),
    ("GaN LED epitaxial wafers 4 inch", "gallium-nitride"),  # wafers for LEDs
])
def test_finished_article_at_the_head(description: str, item_id: str | None) -> None:
    catalogue = ItemCatalogue.from_entries(_entries(), [
        {"term": t} for t in ("motor", "servo", "charger", "bracelet", "camera", "insert",
                              "crown", "scanner", "toy", "transistor", "calibration standard",
                              "lens", "module", "led")])
    assert _id(catalogue, description) == item_id


def test_finished_articles_entry_needs_a_term() -> None:
    with pytest.raises(ValueError, match=r"finished_articles entry 1: field 'term'"):
        ItemCatalogue.from_entries(_entries(), [{"term": "motor"}, {"term": ""}])
