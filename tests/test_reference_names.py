"""Company names as papers write them: one firm written many ways, and other firms."""

from __future__ import annotations

import pytest

from service.reference.names import before_bracket, normalise_name, owner, same_party, spellings


@pytest.mark.parametrize(("a", "b"), [
    # legal forms written out, abbreviated, in other languages and scripts
    ("Brenner Sinterteile GmbH & Co. KG", "BRENNER SINTERTEILE GMBH & CO. KG, Einkauf"),
    ("Brenner Sinterteile GmbH & Co. KG", "Brenner Sinterteile GmbH u. Co. KG, Werk Pforzheim"),
    ("Brenner Sinterteile GmbH & Co. KG", "Brenner Sinterteile Gesellschaft mit beschraenkter "
     "Haftung & Compagnie Kommanditgesellschaft (HRA 501234, AG Mannheim)"),
    ("Baterías del Bajío, S.A. de C.V.", "Baterías del Bajío, Sociedad Anónima de Capital "
     "Variable (RFC BBA120315K42)"),
    ("Fibras Ópticas do Atlântico, S.A.", "Fibras Ópticas do Atlântico, Sociedade Anónima"),
    ("Anadolu Sert Metal Sanayi ve Ticaret A.Ş.", "Anadolu Sert Metal San. ve Tic. AS (VKN "
     "0681234567)"),
    ("Polskie Magnesy Sp. z o.o.", "POLSKIE MAGNESY SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ"),
    ("Moravské slinuté karbidy s.r.o.", "Moravské slinuté karbidy, společnost s ručením "
     "omezeným (IČO 27123456)"),
    ("OOO Svetovye Tekhnologii", "ООО «Световые технологии» (ИНН 7802123456)"),
    ("OOO Svetovye Tekhnologii", "Svetovye Tekhnologii LLC"),
    ("OOO Svetovye Tekhnologii", "Obshchestvo s ogranichennoy otvetstvennostyu «Svetovye "
     "Tekhnologii», St. Petersburg"),
    ("Jydsk Magnetteknik A/S", "Jydsk Magnetteknik Aktieselskab"),
    ("Southern Cross Photonics Pty Ltd", "Southern Cross Photonics P/L, Mawson Lakes, South "
     "Australia"),
    ("Tiroler Hartmetall GmbH", "TIROLER HARTMETALL GES.M.B.H., FN 123456a"),
    ("Hokuriku Optical Materials K.K. (株式会社北陸光学材料)",
     "Hokuriku Optical Materials Co., Ltd. (株式会社北陸光学材料)"),
    # words written apart, joined by a hyphen or together (pinyin syllables)
    ("Hunan Jinhe Materials Co., Ltd.", "HUNAN JIN-HE MATERIALS CO LTD"),
    ("Hunan Jinhe Materials Co., Ltd.", "Hunan Jin He Materials Co., Ltd."),
    # a word abbreviated with a full stop, or one written with or without "Industry"
    ("Grafite Paulista Indústria e Comércio Ltda.", "Grafite Paulista Ind. e Com. Ltda, CNPJ "
     "12.345.678/0001-90"),
    ("Jiangxi Dayu Huaxing Tungsten Industry Co., Ltd.", "JIANGXI DAYU HUAXING TUNGSTEN CO., "
     "LTD."),
    # what stands beside the name: a place, a unit, a note, a c/o, the firm it belongs to
    ("Helvetia Präzisionswerkzeuge AG", "HELVETIA PRÄZISIONSWERKZEUGE AG, Biel/Bienne"),
    ("Lichtwerk Optik GmbH", "Lichtwerk Optik GmbH c/o Wareneingang Halle 4, 07745 Jena"),
    ("Kinta Advanced Alloys (UK) Limited", "Kinta Advanced Alloys (UK) Ltd, a wholly owned "
     "subsidiary of Kinta Holdings Sdn. Bhd."),
    ("Lockheed Martin Corporation - Missiles and Fire Control",
     "LOCKHEED MARTIN CORPORATION (MFC)"),
    ("Raytheon Missiles and Defense", "Raytheon Missiles & Defense, Tucson AZ"),
    ("Optique Avancée de Grenoble SAS", "Optique Avancée de Grenoble (OAG), Service Achats"),
    # several names of one firm
    ("Helvetia Precision Tools Ltd", "Helvetia Präzisionswerkzeuge AG / Helvetia Outils de "
     "Précision SA / Helvetia Precision Tools Ltd (CHE-123.456.789)"),
    ("Pennine Advanced Ceramics Ltd t/a PennCer", "PennCer"),
    ("Belgische Magneetmaterialen NV - Matériaux Magnétiques Belges SA",
     "Matériaux Magnétiques Belges SA (BCE 0456.789.123)"),
    ("Optique Avancée de Grenoble SAS", "OAG - Optique Avancée de Grenoble, SAS au capital de "
     "500 000 EUR, RCS Grenoble 812 345 678"),
    ("Matériaux de batterie Laurentides inc. (Laurentian Battery Materials Inc.)",
     "Laurentian Battery Materials Inc."),
    ("Ningbo Yongci Magnetics Co., Ltd. (宁波永磁磁业有限公司)",
     "宁波永磁磁业有限公司 Ningbo Yongci Magnetics Co., Ltd."),
    ("Daesung Magnetics Co., Ltd. ((주)대성마그네틱스)", "주식회사 대성마그네틱스 (Daesung "
     "Magnetics Co., Ltd.), Business Reg. No. 609-81-12345"),
    # a person signing for the firm
    ("Tiroler Hartmetall GmbH", "Ing. Markus Hofer, Leiter Einkauf, for and on behalf of "
     "Tiroler Hartmetall GmbH"),
    # forms of Asia, the Middle East and Latin America
    ("Vardhman Carbide Tools Pvt. Ltd.", "M/s. Vardhman Carbide Tools Private Limited"),
    ("Ferramentas Santa Luzia Ltda. - ME", "FERRAMENTAS SANTA LUZIA EIRELI - ME, CNPJ "
     "23.456.789/0001-95"),
    ("Siam Precision Holdings PCL", "Siam Precision Holdings Public Company Limited"),
    # names in two scripts that nothing links cannot be compared: not taken for two parties
    ("Kansai Precision Materials Co., Ltd.", "関西精密材料株式会社 調達部"),
    ("Carmel Photonics Ltd.", "כרמל פוטוניקה בע\"מ (ח.פ. 514567890)"),
])
def test_one_firm(a: str, b: str) -> None:
    assert same_party(a, b)
    assert same_party(b, a)


@pytest.mark.parametrize(("a", "b"), [
    # a sister company, another legal form of the brand, a parent, a trader in between
    ("Brenner Sinterteile GmbH & Co. KG", "Brenner Werkzeugtechnik GmbH"),
    ("Rossi Metalli Speciali S.p.A.", "Rossi Metalli Speciali S.r.l."),
    ("Baterías del Bajío, S.A. de C.V.", "Baterías del Bajío Servicios, S. de R.L. de C.V."),
    ("Cerámicas Técnicas del Levante, S.L.", "Cerámicas Técnicas del Levante, S.A. (NIF "
     "A46123456)"),
    ("Southern Cross Photonics Pty Ltd", "Southern Cross Photonics Limited (NZBN "
     "9429041234567), Auckland"),
    ("Polskie Magnesy Sp. z o.o.", "Polskie Magnesy Sp. z o.o. Sp.k."),
    ("Tiroler Hartmetall GmbH", "Alpen Rohstoffhandel GmbH on behalf of Tiroler Hartmetall "
     "GmbH"),
    ("Lichtwerk Optik GmbH", "Hartmann Metallhandel GmbH c/o Lichtwerk Optik GmbH"),
    ("Pennine Advanced Ceramics Ltd t/a PennCer", "PennCer Distribution Ltd"),
    ("Nusantara Motor Systems GmbH", "PT Nusantara Industri Tbk"),
    ("Acme Ltd (Hong Kong)", "Beta Ltd (Hong Kong)"),
    # free-zone arms and other forms of the same brand
    ("Vardhman Carbide Tools Pvt. Ltd.", "Vardhman Carbide Tools FZE, SAIF Zone, Sharjah (UAE)"),
    ("Gulf Optical Fibre FZCO", "Gulf Optical Fibre FZ-LLC, RAK Economic Zone"),
    ("Nile Advanced Materials S.A.E.", "Nile Advanced Materials FZE, Jebel Ali Free Zone (UAE)"),
    ("株式会社北陸光学材料", "北陸光学材料販売株式会社"),  # one script: compared
])
def test_another_firm(a: str, b: str) -> None:
    assert not same_party(a, b)
    assert not same_party(b, a)


def test_spellings_and_what_stands_beside() -> None:
    assert spellings("Raytheon Missiles and Defense (RMD)") == (
        "Raytheon Missiles and Defense (RMD)", "Raytheon Missiles and Defense", "RMD")
    assert spellings("Acme Ltd (Hong Kong)") == ("Acme Ltd (Hong Kong)",)  # a place, not a name
    assert before_bracket("洛克希德·马丁公司（美国马里兰州贝塞斯达）") == "洛克希德·马丁公司"
    assert owner("Sikorsky Aircraft Corporation, a Lockheed Martin Company") == "Lockheed Martin"
    assert owner("Kinta Advanced Alloys (UK) Ltd, a wholly owned subsidiary of Kinta Holdings "
                 "Sdn. Bhd.") == "Kinta Holdings Sdn. Bhd."
    assert normalise_name("OOO Svetovye Tekhnologii") == "svetovye tekhnologii"
    assert normalise_name("ООО «Световые технологии»") == "svetovye tekhnologii"
