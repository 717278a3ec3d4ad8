"""Company names as papers write them: what a name is, apart from what stands beside it.

A name is compared after normalisation: width, case and script folded (Cyrillic, Greek and
accented Latin written in plain Latin letters by anyascii; Chinese, Japanese and Korean kept),
"&" as "and", punctuation dropped, and its legal forms ("Co., Ltd", "GmbH", "S.A. de C.V.",
"Sp. z o.o.", "OOO", 有限公司, 株式会社) set aside as one form word for each kind. What stands
beside a name without being it is dropped too: an address or a place after it, a registration
number, a unit of the organisation ("…, Department of Applied Physics", "…, Werk Pforzheim"),
the addressee of a "c/o", the firm it says it belongs to ("…, a Lockheed Martin Company").

A name written more than once ("Helvetia Präzisionswerkzeuge AG / Helvetia Precision Tools
Ltd", "Pennine Advanced Ceramics Ltd t/a PennCer", "宁波科田磁业有限公司 (Ningbo Ketian Magnet Co
Ltd)", "Raytheon Missiles and Defense (RMD)") is each of its `spellings`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import pairwise

from anyascii import anyascii
from rapidfuzz import fuzz

from .text import is_cjk

__all__ = ["before_bracket", "before_dash", "normalise_name", "owner", "same_party", "spellings"]

# Two names whose normalised forms are this similar (rapidfuzz's token-sort ratio) are one name.
SAME_NAME_RATIO = 90

_CJK_SUFFIXES = (
    "股份有限公司", "有限责任公司", "有限責任公司", "有限公司", "总公司", "總公司", "公司"
)  # fmt: skip
# Japanese and Korean company forms, before or after the name (NFKC has made ㈱ "(株)").
_CJK_FORMS = ("株式会社", "有限会社", "(株)", "(有)", "주식회사", "유한회사", "(주)", "(유)")
# Legal-form words, set aside from the end (repeatedly) once punctuation is gone.
# fmt: off
_LEGAL = frozenset((
    "co", "company", "companies", "corp", "corporation", "inc", "incorporated", "ltd", "limited",
    "llc", "lc", "lp", "llp", "plc", "pllc", "gmbh", "mbh", "gesmbh", "ag", "kg", "kgaa", "sa",
    "sas", "sarl", "srl", "spa", "bv", "nv", "ab", "as", "asa", "oy", "oyj", "aps", "kk", "yk",
    "jsc", "ojsc", "pjsc", "ooo", "zao", "sdn", "bhd", "pte", "pty", "pvt", "private", "tbk",
    "nl", "sl", "sau", "sae", "cv", "se", "aktiebolag", "aktiengesellschaft", "kabushikigaisha",
    "osakeyhtio", "aksjeselskap", "aktieselskab", "berhad", "sro", "kft", "doo", "spzoo", "vzw",
    "asbl", "ltda", "sti", "ltee", "cie", "fze", "fzco", "fzc", "pcl", "eireli", "me", "epp",
))
# Legal forms written before the name: "OOO Svetovye Tekhnologii", "PT Nusantara Industri".
_LEADING = frozenset(("ooo", "ao", "zao", "oao", "pao", "pjsc", "jsc", "pt", "uab", "sia", "tov"))
# fmt: on
# Legal forms written out in words (after anyascii: no accents), as the form they spell.
_PHRASES = {
    ("limited", "partnership"): "lp",
    # a private company is another kind than a public one: "Pty Ltd" (Australia), "Pte Ltd"
    # (Singapore), "Pvt Ltd" (India) are not "Ltd"
    ("pty", "ltd"): "pty", ("pty", "limited"): "pty", ("proprietary", "limited"): "pty",
    ("p", "l"): "pty", ("pte", "ltd"): "pte", ("pte", "limited"): "pte",
    ("pvt", "ltd"): "private", ("private", "limited"): "private", ("private", "ltd"): "private",
    ("pvt", "limited"): "private", ("p", "ltd"): "private",
    ("kabushiki", "kaisha"): "kk",
    ("yugen", "kaisha"): "yk",
    ("sendirian", "berhad"): "bhd",
    ("societe", "anonyme"): "sa",
    ("sociedad", "anonima"): "sa", ("sociedade", "anonima"): "sa",
    ("sa", "de", "cv"): "sa", ("sociedad", "anonima", "de", "capital", "variable"): "sa",
    ("s", "de", "rl"): "srl", ("s", "de", "rl", "de", "cv"): "srl",
    ("sociedad", "limitada"): "sl", ("sociedade", "limitada"): "ltda",
    ("societa", "per", "azioni"): "spa", ("societa", "a", "responsabilita", "limitata"): "srl",
    ("sp", "z", "oo"): "spzoo", ("sp", "z", "o", "o"): "spzoo", ("spolka", "z", "oo"): "spzoo",
    ("spolka", "z", "ograniczona", "odpowiedzialnoscia"): "spzoo",
    ("spolecnost", "s", "rucenim", "omezenym"): "sro",
    ("anonim", "sirketi"): "as", ("limited", "sirketi"): "sti", ("ltd", "sti"): "sti",
    ("a", "s"): "as",
    ("besloten", "vennootschap"): "bv",
    ("naamloze", "vennootschap"): "nv",
    ("gesellschaft", "mbh"): "gmbh", ("ges", "mbh"): "gmbh",
    ("gesellschaft", "mit", "beschrankter", "haftung"): "gmbh",
    ("gesellschaft", "mit", "beschraenkter", "haftung"): "gmbh",
    ("gmbh", "and", "co", "kg"): "kg", ("gmbh", "u", "co", "kg"): "kg",
    ("gmbh", "und", "co", "kg"): "kg", ("gmbh", "and", "cie", "kg"): "kg",
    ("gesellschaft", "mit", "beschrankter", "haftung", "and", "compagnie",
     "kommanditgesellschaft"): "kg",
    ("gesellschaft", "mit", "beschraenkter", "haftung", "and", "compagnie",
     "kommanditgesellschaft"): "kg",
    ("joint", "stock", "company"): "jsc", ("joint", "stock", "co"): "jsc",
    ("fz", "llc"): "fzllc", ("public", "company", "limited"): "pcl",
    ("sapi", "de", "cv"): "sa", ("cong", "ty", "tnhh"): "llc", ("cong", "ty", "co", "phan"): "jsc",
    ("obshchestvo", "s", "ogranichennoy", "otvetstvennostyu"): "ooo",
    ("obshchestvo", "s", "ogranichennoy", "otvetstvennost", "yu"): "ooo",
}
_PHRASE_LENGTHS = sorted({len(p) for p in _PHRASES}, reverse=True)
# Legal forms that name the same kind of company, as one form (co and company name none).
_SAME_FORM = {"limited": "ltd", "incorporated": "corp", "inc": "corp", "corporation": "corp",
              "mbh": "gmbh", "gesmbh": "gmbh", "kgaa": "kg", "oyj": "oy", "ojsc": "jsc",
              "pjsc": "jsc", "sdn": "bhd", "berhad": "bhd", "aktiebolag": "ab",
              "aktiengesellschaft": "ag", "kabushikigaisha": "kk", "osakeyhtio": "oy",
              "aksjeselskap": "as", "aktieselskab": "as", "pvt": "private", "ltda": "ltd",
              "eireli": "ltd"}
_NO_FORM = frozenset(("co", "company", "companies", "cie", "me", "epp"))
# Forms that name one kind of company in two languages: a Russian OOO is an LLC in English, a
# Japanese K.K. a "Co., Ltd." or a corporation.
_SAME_KIND = frozenset(frozenset(pair) for pair in (
    ("ooo", "llc"), ("tov", "llc"), ("kk", "ltd"), ("kk", "corp"), ("ao", "jsc"), ("zao", "jsc"),
    ("oao", "jsc"), ("pao", "jsc")))
# Words a firm's name is written with or without ("Jiangxi Dayu Huaxing Tungsten Industry Co.,
# Ltd." and "Jiangxi Dayu Huaxing Tungsten Co., Ltd."): set aside like its legal forms.
_OPTIONAL = frozenset(("industry", "industries", "industrial", "ind", "industria", "industrie"))

_DOTS = re.compile(r"(?<=\w)\.(?=\w)|\.(?=\s|$)")
_NON_WORD = re.compile(r"[\W_]+")
# An address after the name: from the first comma outside brackets whose part holds a number
# ("Elbtal Halbleitertechnik GmbH, Manfred-von-Ardenne-Ring 20, 01099 Dresden"; not "Co., Ltd.").
_ADDRESS = re.compile(r",(?=[^,]*\d)(?![^(（]*[)）]).*\Z", re.DOTALL)
# A registration number beside the name: in brackets with a digit in them ("Sachsen Photonik
# GmbH (EORI DE4471209856321)"; not "(Hong Kong)"), or after a label of such numbers.
# (Possessive and from a run's first space: no backtracking over long runs of spaces.)
_IDENTIFIER = re.compile(
    r"(?<!\s)(?:\s*+[(\[（][^)\]）\d]*+\d[^)\]）]*+[)\]）]"
    r"|\s++(?i:eori|vat|tax\s+id|tin|uscc|usci|uen|abn|cnpj|nif|nip|siret|krs|regon"
    r"|(?:(?:business|company|commercial|trade)\s+)?(?:reg(?:istration)?\.?\s+)?no"
    r")\b[\s:#.]*+[\w-]*\d[\w-]*)")
# A unit of the organisation after its name: ", Department of Applied Physics", " – Tucson
# Operations", ", Supply Chain Compliance", ", Service Achats", ", Attn. Purchasing".
_UNIT_WORDS = (r"department|dept|division|faculty|school|laboratory|lab|plant|site|branch"
               r"|factory|works|campus|facility|unit|office|operations|procurement|purchasing"
               r"|supply\s+chain|attn|attention|att|c/o|care\s+of|section|service|abteilung"
               r"|einkauf|werk|achats|usine|compras|planta|acquisti|stabilimento|inkoop"
               r"|afdeling|zaklad|filial|filiale|niederlassung|succursale|sucursal")
_UNIT_AFTER = re.compile(rf"(?:,|\s[-–—])\s*(?i:(?:the\s+)?(?:{_UNIT_WORDS}))\b")
_UNIT_LAST = re.compile(rf"\b(?i:{_UNIT_WORDS})\.?\s*$")
_SEPARATOR = re.compile(r",|\s[-–—]")
# The addressee of a "c/o": "Lichtwerk Optik GmbH c/o Wareneingang Halle 4" is Lichtwerk.
_CARE_OF = re.compile(r"(?i:\s+(?:c/o|care\s+of)\s).*\Z", re.DOTALL)
# "Sikorsky Aircraft Corporation, a Lockheed Martin Company", "…, a wholly owned subsidiary of
# Kinta Holdings Sdn. Bhd.": the firm it belongs to.
_OWNER = re.compile(
    r"(?i:\s*[,(]\s*(?:(?:an?|part\s+of)\s+(.+?)\s+(?:company|subsidiary|business"
    r"|group\s+company|division)|(?:an?\s+)?(?:(?:wholly|fully|majority)[-\s]owned\s+)?"
    r"(?:subsidiary|division|affiliate|member)\s+of\s+(?:the\s+)?(.+?))\)?\s*)$")
# A name with a bracket at its end (which may hold one more): "宁波科田磁业有限公司 (Ningbo
# Ketian Magnet Co Ltd)", "Raytheon Missiles and Defense (RMD)", "中国北方稀土（集团）高科技
# 股份有限公司（China Northern Rare Earth (Group) High-Tech Co.,Ltd）".
_BRACKETED = re.compile(r"\s*(.+?)\s*[(（]((?:[^()（）]|[(（][^()（）]*[)）])+)[)）]\s*")
# Several names of one firm: "… AG / … SA / … Ltd", "… Ltd t/a PennCer", "BMM - Belgische
# Magneetmaterialen NV" (an acronym, then the name), "… NV - … SA" (two names in two languages).
_SLASHED = re.compile(r"\s+/\s+")
_TRADING_AS = re.compile(r"(?i)\s+(?:t/a|trading\s+as|d/b/a|dba|doing\s+business\s+as)\s+")
_DASHED = re.compile(r"\s+[-–—]\s+")
# A person signing for a firm: "Ing. Markus Hofer, Leiter Einkauf, for and on behalf of Tiroler
# Hartmetall GmbH" is Tiroler Hartmetall; "Alpen Rohstoffhandel GmbH on behalf of Tiroler
# Hartmetall GmbH" is Alpen Rohstoffhandel.
_ON_BEHALF = re.compile(r"(?i)\b(?:for\s+and\s+)?on\s+behalf\s+of\s+|\bi\.\s?a\.\s+|\bp\.\s?p\.\s+")
_NOT_INITIAL = frozenset(("and", "of", "the", "for", "de", "der", "und", "et", "y", "e"))


def normalise_name(name: str) -> str:
    """The comparable form of a company name: folded, punctuation and legal forms removed."""
    return _split_name(name)[0]


def before_bracket(name: str) -> str | None:
    """The name before a bracket at its end, or None: "洛克希德·马丁公司（美国马里兰州贝塞斯达）" is
    the name with its city after it."""
    found = _BRACKETED.fullmatch(_trimmed(name))
    return found[1] if found else None


def _without_unit(text: str) -> str:
    """The text without a unit of the organisation after the name: from a comma or dash that
    a unit word follows, or that starts the part a unit word ends (found without trying each
    comma against each word: a long name costs little more than a short one)."""
    found = _UNIT_AFTER.search(text)
    if found:
        return text[: found.start()]
    last = _UNIT_LAST.search(text)
    if last:
        # the first separator after which no comma or bracket comes before the unit word
        bound = max(text.rfind(ch, 0, last.start()) for ch in ",()")
        separator = next(_SEPARATOR.finditer(text, max(bound, 0), last.start()), None)
        if separator is not None:
            return text[: separator.start()]
    return text


def before_dash(name: str) -> str | None:
    """The name before a dash and what follows it, or None: "Raytheon Missiles & Defense -
    Global Trade Logistics" is the name with one of its units after it."""
    sides = _DASHED.split(name, maxsplit=1)
    return sides[0] if len(sides) == 2 and len(sides[0].split()) >= 2 else None


@lru_cache(maxsize=16384)
def _trimmed(name: str) -> str:
    """The name without a registration number, an address or a unit after it."""
    return _without_unit(_ADDRESS.sub("", _IDENTIFIER.sub("", name))).strip(" ,;:-–—")


def owner(name: str) -> str | None:
    """The firm a name says it belongs to ("…, a Lockheed Martin Company"), or None."""
    found = _OWNER.search(name)
    return (found[1] or found[2]) if found else None


@lru_cache(maxsize=8192)
def same_party(a: str, b: str) -> bool:
    """Whether two names may be one party: equal once normalised, or nearly so (word order
    aside, or a word abbreviated with a full stop: "Ind." for "Industry"), and not of two
    different legal forms ("Kessler Sensorik AG" is not "Kessler Sensorik GmbH"). A name is
    the party of each of its `spellings`. Two names that share no script ("関西精密材料株式会社"
    and "Kansai Precision Materials Co., Ltd.") cannot be compared, and are not taken for two
    parties."""
    pairs = [(x, y) for x in spellings(a) for y in spellings(b)]
    if any(_same_name(x, y) for x, y in pairs):
        return True
    return not any(_scripts(x) & _scripts(y) for x, y in pairs)


def _scripts(name: str) -> frozenset[str]:
    """The scripts a name is written in, as far as names can be compared across them: Latin
    (with Cyrillic and Greek, which anyascii writes in Latin letters as names are written in
    them) and each other script (Chinese, Japanese and Korean as one; Thai, Arabic, Hebrew,
    ...: a name in them is a translation, not a spelling, of its English name)."""
    found = set()
    for ch in name:
        if not ch.isalpha():
            continue
        if is_cjk(ch):
            found.add("cjk")
        elif ch < "\u0590" or "\u1e00" <= ch < "\u2000":
            found.add("latin")  # Latin, Greek, Cyrillic, Armenian and Latin extended
        else:
            found.add(unicodedata.name(ch, "?").split()[0])
    return frozenset(found)


@lru_cache(maxsize=8192)
def spellings(name: str) -> tuple[str, ...]:
    """The name, and each other way it writes the firm's name: names apart by " / ", a trading
    name, the firm a person signs for, an acronym and the name beside it, two names each with
    its legal form apart by a dash, a name without a legal form before a comma, and a bracket
    at the end holding the name in another script, an acronym of it or another name with a
    legal form."""
    found: list[str] = [name]
    for part in _SLASHED.split(name):
        for side in _TRADING_AS.split(part):
            signed = _ON_BEHALF.split(side, maxsplit=1)
            if len(signed) == 2 and not _has_form(signed[0]):
                side = signed[1]
            found += _dashed(side)
    for spelling in list(found):
        found += _two_scripts(_trimmed(spelling))
    for spelling in list(found):
        # "Raytheon Missiles & Defense, Tucson AZ": a name with no legal form, then a place
        first, comma, rest = _trimmed(spelling).partition(",")
        if comma and len(first.split()) >= 2 and not _has_form(first) and not _has_form(rest):
            found.append(first)
    for spelling in list(found):
        bracketed = _BRACKETED.fullmatch(_trimmed(spelling))
        if bracketed:
            outside, inside = bracketed[1], bracketed[2]
            word = outside.split()[:1]
            if (is_cjk(outside) != is_cjk(inside) or _acronym(inside, outside)
                    or (word and _acronym(word[0], inside)) or _has_form(inside)):
                found += [outside, inside]
    return tuple(dict.fromkeys(s.strip() for s in found if s.strip()))


def _two_scripts(name: str) -> list[str]:
    """Each side of a name written in two scripts one after the other ("宁波永磁磁业有限公司
    Ningbo Yongci Magnetics Co., Ltd."), or none."""
    if any(ch in name for ch in "()（）"):  # a bracket says which is which (`spellings`)
        return []
    letters = [(i, is_cjk(ch)) for i, ch in enumerate(name) if ch.isalpha()]
    turns = [i for (i, a), (_, b) in pairwise(letters) if a != b]
    if len(turns) != 1:
        return []
    cut = next(j for j, _ in letters if j > turns[0])
    left, right = name[:cut].strip(), name[cut:].strip()
    return [left, right] if len(left) >= 2 and len(right) >= 2 else []


def _dashed(name: str) -> list[str]:
    """The name, or its two sides when a dash stands between an acronym and the name, or
    between two names each with its legal form."""
    sides = _DASHED.split(name, maxsplit=1)
    if len(sides) == 2:
        left, right = sides
        single = len(left.split()) == 1 and left.isupper()
        if single or (_has_form(left) and _has_form(right)):
            return [left, right]
    return [name]


def _acronym(short: str, long: str) -> bool:
    """Whether `short` (one word) is made of the initials of `long`'s words ("RMD" of
    "Raytheon Missiles and Defense", "imec" of "Interuniversitair Micro-Electronica Centrum")."""
    letters = "".join(ch for ch in short.casefold() if ch.isalnum())
    words = [w for w in re.split(r"[\s/-]+", long.casefold()) if w and w not in _NOT_INITIAL]
    initials = "".join(w[0] for w in words if w[0].isalnum())
    return 2 <= len(letters) <= 8 and (letters == initials or letters == initials[:-1])


def _same_name(a: str, b: str) -> bool:
    (x, forms_x), (y, forms_y) = _split_name(a), _split_name(b)
    if (forms_x and forms_y and forms_x.isdisjoint(forms_y)
            and not any(frozenset((f, g)) in _SAME_KIND for f in forms_x for g in forms_y)):
        return False
    # words written apart or together ("Jin He", "Jin-He", "Jinhe": pinyin syllables)
    return (x == y or x.replace(" ", "") == y.replace(" ", "")
            or fuzz.token_sort_ratio(x, y) >= SAME_NAME_RATIO or _abbreviated(x, a, y, b))


def _abbreviated(x: str, a: str, y: str, b: str) -> bool:
    """The same words, where one name shortens some of them with a full stop ("Grafite
    Paulista Ind. e Com." is "Grafite Paulista Indústria e Comércio")."""
    xs, ys = x.split(), y.split()
    if len(xs) != len(ys) or xs == ys:
        return False
    raw = (_fold(a).casefold(), _fold(b).casefold())
    for p, q in zip(xs, ys, strict=True):
        if p == q:
            continue
        short, long, written = (p, q, raw[0]) if len(p) < len(q) else (q, p, raw[1])
        if not (len(short) >= 2 and long.startswith(short)
                and re.search(rf"\b{re.escape(short)}\.", written)):
            return False
    return True


def _fold(text: str) -> str:
    """NFKC, and every script but Chinese, Japanese and Korean in plain Latin letters."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    return "".join(ch if is_cjk(ch) else anyascii(ch) for ch in text)


def _words(text: str) -> list[str]:
    """The words of a folded name, "&" read as "and" and full stops dropped ("L.L.C." is
    "llc")."""
    text = _DOTS.sub("", text.casefold().replace("&", " and "))
    return [w for w in _NON_WORD.split(text) if w]


def _strip_forms(words: list[str]) -> tuple[list[str], set[str]]:
    """The words without the legal forms at their end, and those forms (one word a kind)."""
    forms: set[str] = set()
    while words:
        phrase = next((n for n in _PHRASE_LENGTHS
                       if len(words) >= n and tuple(words[-n:]) in _PHRASES), 0)
        if phrase:
            forms.add(_PHRASES[tuple(words[-phrase:])])
            words = words[:-phrase]
        elif words[-1] in _LEGAL:
            if words[-1] not in _NO_FORM:
                forms.add(_SAME_FORM.get(words[-1], words[-1]))
            words = words[:-1]
        else:
            break
    return words, forms


@lru_cache(maxsize=16384)
def _has_form(text: str) -> bool:
    """Whether a part of a name holds a legal form at its end or its start."""
    words = _words(_fold(text))
    if not words:
        return False
    leading = words[0] in _LEADING or any(tuple(words[:n]) in _PHRASES for n in _PHRASE_LENGTHS)
    return leading or bool(_strip_forms(words)[1])


def _to_end_of_name(text: str) -> str:
    """The text up to the end of the name: once a part (between commas or dashes) has given
    a legal form, the parts after it, and a bracket after it, are a place, a unit, a note or a
    number, unless they are legal forms themselves ("…, Ltd.", "…, S.A. de C.V.")."""
    noted = _BRACKETED.fullmatch(text)
    if noted and _has_form(noted[1]):  # "Lockheed Martin Corporation (MFC)": a note after it
        text = noted[1]
    parts = re.split(r",|\s[-–—]\s", text)
    kept = [parts[0]]
    complete = _has_form(parts[0])
    for part in parts[1:]:
        words = _words(part)
        if complete and not (words and not _strip_forms(words)[0]):
            break
        kept.append(part)
        complete = complete or _has_form(part)
    return ",".join(kept)


@lru_cache(maxsize=16384)
def _split_name(name: str) -> tuple[str, frozenset[str]]:
    """The name without its legal forms, and its forms, one word for each kind ("Co., Ltd."
    and "Limited" are both ``ltd``; "GmbH" is ``gmbh``, "AG" ``ag``)."""
    text = _fold(name)
    text = _ADDRESS.sub("", _IDENTIFIER.sub("", _CARE_OF.sub("", text)))
    text = _OWNER.sub("", _without_unit(_to_end_of_name(text)))
    text = text.casefold().strip()
    for suffix in _CJK_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    for form in _CJK_FORMS:
        if len(text) > len(form) and (text.startswith(form) or text.endswith(form)):
            text = text.removeprefix(form).removesuffix(form).strip()
    words = _words(text)  # _fold has made "＆" "&"
    if words and words[0] == "the":
        words = words[1:]
    if words[:2] == ["m", "s"] or words[:1] == ["messrs"]:  # "M/s." before an Indian firm
        words = words[2:] if words[0] == "m" else words[1:]
    forms: set[str] = set()
    while len(words) > 1:
        if words[0] in _LEADING:
            forms.add(_SAME_FORM.get(words[0], words[0]))
            words = words[1:]
            continue
        phrase = next((n for n in _PHRASE_LENGTHS
                       if len(words) > n and tuple(words[:n]) in _PHRASES), 0)
        if not phrase:
            break
        forms.add(_PHRASES[tuple(words[:phrase])])
        words = words[phrase:]
    words = [w for w in words if w not in _OPTIONAL] or words
    rest, trailing = _strip_forms(words)
    if rest:  # a name that is nothing but forms keeps its words
        words = rest
        forms |= trailing
    return " ".join(words), frozenset(forms)
