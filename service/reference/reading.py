"""How a goods description is read before its names and formulas are looked up: what stands
beside a name and keeps it from naming the goods (an absence, an impurity limit, a finish,
another compound, an article made of it), formulas written in capitals, and names misspelt by
one letter. Used by `items.ItemCatalogue`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from .text import is_cjk

# How far before a name a clause may reach to say something about it.
CLAUSE_REACH = 40
# The forms a material itself is sold in (and "grade"): a noun right before one of them only
# says what the form is for ("insert grade", "motor magnets").
_FORMS = ("powders?|wafers?|ingots?|substrates?|crystals?|targets?|granules?|pellets?|lumps?"
          "|blocks?|bars?|rods?|sheets?|plates?|foils?|wires?|epi|epitaxial|boules?|magnets?"
          "|segments?|arcs?|grade")
_ENDS_IN_FORM = re.compile(rf"(?<![A-Za-z])(?i:{_FORMS})$")
# A material's form in the plural, a word of its own: before an article's noun it says that the
# goods are the form, sold for the article ("NdFeB Magnets N48SH Dy Diffused BLDC Motor"), where
# "Permanent-magnet synchronous motors" and "Magnet motor" name the article.
_PLURAL_FORMS = ("(?<![A-Za-z-])(?i:magnets|ingots|wafers|powders|substrates|crystals|targets"
                 "|granules|pellets|boules|segments|arcs)")
_FORMS_SOLD = re.compile(rf"{_PLURAL_FORMS}(?![A-Za-z-])")
_ENDS_IN_FORMS_SOLD = re.compile(rf"{_PLURAL_FORMS}$")
# Absent, in Japanese or Korean after a name or a list of names: "ジスプロシウム不使用",
# "Dy・Tbフリー", "Ga・Ge 不検出" (not detected), "디스프로슘 프리" (the English
# "Dy/Tb-free" is read by each pattern its own way).
ABSENT_AFTER = (r"(?:\s*[/・、,&]\s*(?:[A-Za-z]{1,12}|[\u30a0-\u30ff]{2,12}|[\uac00-\ud7a3]{2,8}))*"
                r"\s*(?:フリー|なし|不使用|無し|不検出|未検出|프리|없음|미사용|무첨가|미검출)")
# A chemical formula as a token: elements and their counts, in its own capitals ("Dy2O3", "Fe").
_FORMULA = r"(?-i:(?:[A-Z][a-z]?\d*)+)(?![A-Za-z])"
# The prefixes that multiply a compound word ("trichloride", "pentafluoride", "sesquioxide").
_MULTIPLIERS = "(?:mono|di|tri|tetra|penta|hexa|hepta|octa|sesqui)?"
# Words that end the run between a material's name and an article's noun: prepositions, and
# the forms.
_NOT_BETWEEN = f"for|of|in|on|to|with|and|or|used|as|{_FORMS}"


@dataclass(frozen=True, slots=True)
class Beside:
    """What, right before or right after a name, makes it not name the goods: `before` must
    end at the name (it ends with `$`), `after` must start where the name ends."""

    before: re.Pattern[str]
    after: re.Pattern[str]
    # Like `before`, but only where the name is not itself a form: "chargeur GaN" is a
    # charger, "motor magnets" are magnets.
    bare_before: re.Pattern[str] | None = None
    # Whether `after` yields to a name that ends in a form in the plural (`_PLURAL_FORMS`).
    after_yields_to_forms: bool = False

    @classmethod
    def words(cls, words: Sequence[str]) -> Beside:
        """Any of `words`: a Latin word apart from the name (by a space or hyphen, or none),
        also with a multiplying prefix ("chloride" stands for "pentachloride" too), or a
        Chinese word joined to it."""
        latin = "|".join(re.escape(w) for w in words if not is_cjk(w))
        latin = f"{_MULTIPLIERS}(?:{latin})" if latin else ""
        cjk = "|".join(re.escape(w) for w in words if is_cjk(w))
        before = [f"(?<![A-Za-z])(?i:{latin})[\\s()\\[\\]-]*" if latin else "", cjk]
        after = [f"[\\s-]*(?i:{latin})(?![A-Za-z])" if latin else "", cjk]
        return cls(re.compile("(?:" + "|".join(b for b in before if b) + ")$"),
                   re.compile("|".join(a for a in after if a)))

    @classmethod
    def articles(cls, nouns: Sequence[str]) -> Beside:
        """An article made of the named material: one of `nouns` (plural allowed) right after
        the name, or after up to four more words, apart by spaces, hyphens or brackets, that are
        neither prepositions nor forms ("tungsten carbide rotary burrs", "GaN III (gallium
        nitride) power chip", "GaN 65W USB-C wall chargers", but not "WC powder YG8 insert
        grade", and not where the noun itself comes right before a form: "tungsten carbide
        powder YG8 insert grade", "NdFeB motor magnets", nor after a name that ends in a form
        in the plural: "NdFeB Magnets N48SH BLDC Motor"); or before it, joined by a
        preposition and up to two more words ("rotors with Dy-diffused NdFeB magnets", "fraise
        en carbure de tungstène") or, where the name is not itself a form, by nothing, as
        French, Spanish and German put it ("chargeur GaN"; "Wolframcarbid-Fräser" is the first
        kind)."""
        alternation = "|".join(re.escape(n) for n in nouns)
        noun = rf"(?<![A-Za-z])(?i:(?:{alternation})(?:e?s)?)[\s,:-]+"
        return cls(
            re.compile(noun + r"(?i:with|containing|incorporating|featuring|using|mit|de|du|des"
                       r"|au|aux|à|en|con|di|in)\s+(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\s+){0,2}$"),
            re.compile(
                # possessive: a word never gives back its hyphens to the gap after it, so a
                # long hyphenated run cannot be split in many ways (no backtracking blow-up)
                rf"[\s()\[\]-]*(?:(?!(?i:{_NOT_BETWEEN})\b)[A-Za-z0-9]++(?:[-/][A-Za-z0-9]++)*+"
                rf"[\s()\[\]-]+){{0,4}}"
                rf"(?i:(?:{alternation})(?:e?s|n)?)(?![A-Za-z])(?![\s-]*(?i:{_FORMS})\b)"),
            re.compile(noun + "$"), after_yields_to_forms=True)

    def holds(self, text: str, start: int, end: int) -> bool:
        """Whether the name at text[start:end] has such a word beside it."""
        reach = max(0, start - CLAUSE_REACH)
        after = self.after.match(text, end) and not (
            self.after_yields_to_forms and _ENDS_IN_FORMS_SOLD.search(text, start, end))
        return bool(self.before.search(text, reach, start) or after
                    or (self.bare_before is not None
                        and self.bare_before.search(text, reach, start)
                        and not _ENDS_IN_FORM.search(text, start, end)))


# Where a description's head ends: a clause, a bracket, a dash between words, or a word that
# goes on to what the head is made of, holds, is for or is declared as.
_HEAD_END = re.compile(
    r"[,;:(\[&+]|\s[-–]\s|(?i:\b(?:with|containing|featuring|incorporating|using|made\s+of"
    r"|for|and|as|incl|including|plus)\b|\bw/)")
# Words that, after a noun, make it say what they are for ("motor parts", "charger samples").
_GENERIC = "parts?|components?|spares?|samples?|materials?|scrap|waste|blanks?|assortments?"
_FORM_OR_GENERIC = re.compile(rf"(?<![A-Za-z])(?i:{_FORMS}|{_GENERIC})(?![A-Za-z])")


class ArticleHead:
    """Whether a description's head (what it says before any clause, bracket, "with", "for"
    or "as") names a finished article: one of `nouns`, with no form or generic word after the
    last of them ("EV traction motor, 150 kW, containing Tb-diffused NdFeB rotor magnets",
    "65W GaN fast charger (gallium nitride)", "Titanium Germanium Bracelet for Men"). Then the
    material names in the description name what the article is made of or holds, and the
    goods are the article, which the announcements do not list. "NdFeB motor magnets",
    "Motor rotor parts: NdFeB arcs", "Gallium ingots and GaN chargers", "Antimony ingots
    labelled as toys" and "NdFeB Magnets N48SH BLDC Motor" (a form in the plural before the
    article's noun, `_FORMS_SOLD`) name no article at their head."""

    __slots__ = ("_noun",)

    def __init__(self, nouns: Sequence[str]) -> None:
        alternation = "|".join(re.escape(n) for n in sorted(nouns, key=len, reverse=True))
        self._noun: re.Pattern[str] | None = re.compile(
            rf"(?<![A-Za-z])(?i:(?:{alternation})(?:e?s)?)(?![A-Za-z])") if nouns else None

    def __call__(self, text: str) -> bool:
        if self._noun is None:
            return False
        found = _HEAD_END.search(text)
        head = found.start() if found else len(text)
        nouns = list(self._noun.finditer(text, 0, head))
        return bool(nouns) and not _FORM_OR_GENERIC.search(text, nouns[-1].end(), head) and (
            not _FORMS_SOLD.search(text, 0, nouns[0].start()))


# A share of the whole: "2.5 %", "25 at%", "3 wt.%".
_SHARE = r"(?:(?:at|wt|mol|vol)\.?\s*)?%"


# A name that a description mentions only as absent ("gallium-free solder paste", "free of
# germanium", "不含镓"), as an impurity limit ("copper cathodes, Sb < 5 ppm"), as a finish or
# dopant of other goods ("tungsten-carbide-tipped saw blades") or as a symbol inside a larger
# formula ("Cu(In,Ga)Se2", the absorber of CIGS solar modules; "Ga(NO3)3"), as a minor constituent
# ("Pb 97.4 %, Sb 2.5 %") or as what the goods are for ("wafer carrier for GaN LED epitaxy
# tools") or inside a quoted title or brand ("vinyl LP, band 'Gallium'") does not name the
# goods.
# Narrower than the composition negations of `items.Threshold`: "Gallium metal, lead-free"
# still names gallium metal.
INCIDENTAL = Beside(
    re.compile(r"(?i:\b(?:free\s+of|without|no|non|not|excluding|except|sans|ohne|frei\s+von|sin"
               r"|libre\s+de|без|não\s+contém|nao\s+contem|bez|tanpa|không\s+chứa|không\s+có|بدون)"
               r"(?:[\s-]+\w+\s*(?:/|&|\band\b|\bor\b)|[\s-]+(?-i:[A-Z][a-z]?)\s*,)*[\s-]*)$"
               r"|(?:不含|无|非|ไม่มี)$"
               r"|(?<![A-Za-z])[A-Z][a-z]?\d*[(\[](?:[A-Z][a-z]?\d*\s*[,/]\s*)*$"
               # the dopant after a host's formula: "SnO2:Sb", "Gd2O2S:Pr", "YAG:Ce"
               r"|(?<![A-Za-z0-9])(?:[A-Z][a-z]?\d*){2,}:$"
               # what the goods are for: "wafer carrier for GaN LED epitaxy tools"
               r"|(?i:\bfor\s+(?:[\w'’-]+(?:\s*/\s*|\s+)){0,2})$"
               # how they were tested, and for what: "tested by HPGe (high-purity germanium)
               # spectrometry", "analysed by ICP-MS for Ga, Ge, In"
               r"|(?i:\b(?:tested|measured|analy[sz]ed|determined|checked|scanned|examined)"
               r"\s+(?:by|with|using|via|on|for)\b[^,;:.]{0,40}?"
               r"(?:(?-i:\b[A-Z][a-z]?\d*)\s*,\s*)*)$"
               # inside a quoted title or brand: "band 'Gallium'", "board game 'Antimony & Ash'"
               r"|(?<=[\s(\[:,])['\"‘“«「][^'\"’”»」]*$"),
    re.compile(r"(?i:(?:\s*-?\s*(?:/|&|\band\b|\bor\b)\s*-?\s*[A-Za-z]{1,12})*[\s-]*free\b(?!-\w)"
               rf"|{ABSENT_AFTER}"
               # a limit, also after a list of formulas: "Sb/As/Pb < 5 ppm", "Y2O3, Dy2O3, Tb4O7
               # each < 10 ppm" (not "graphite, ash < 20 ppm": a comma list needs its "each")
               rf"|(?:(?:\s*/\s*{_FORMULA})+|(?:\s*[,/]\s*{_FORMULA})*\s+each)?"
               r"\s*[:=]?\s*(?:<|≤|<=|max\.?|maximum|below|under)\s*\d[\d.]*\s*(?:ppm|ppb|%)"
               r"|\s*[:=]?\s*\d[\d.]*\s*(?:ppm|ppb)\b"
               # a minor constituent: "zinc concentrate, Ge 0.01%", "Pb 97.4 %, Sb 2.5 %",
               # "Sb 2.4-2.6 %"
               rf"|\s*[:=]?\s*(?:\d(?:[.,]\d+)?|[.,]\d+)(?:\s*[-–]\s*\d(?:[.,]\d+)?)?\s*{_SHARE}"
               # an entry of an impurity table: "Sb 0.4, As 0.5", "Ga <0.1, Ge <0.1 ppm"
               r"|\s*[:=]?\s*(?:<|≤|<=)\s*\d"
               r"|\s*[:=]?\s*[0-4]?\d(?:[.,]\d+)?(?=\s*[,;)]|\s+[A-Z][a-z]?\s*[:=<\d])"
               # a dopant's concentration: "Ga ~1E16 cm-3"
               r"|\s*[:=~]?\s*~?\s*\d(?:[.,]\d+)?\s*[eE]\s*[+-]?\d"
               # the assay of an ore, a mixture or a compound, after a formula or a symbol:
               # "tungsten concentrate WO3 65%", "antimony triacetate, Sb 40%"
               rf"|(?:(?<=\d)|(?<=\b(?-i:[A-Z][a-z])))\s*[:=]?\s*[1-8]\d(?:[.,]\d+)?\s*{_SHARE}"
               r"|[\s-]*(?:tipped|coated|plated|clad|brazed|doped|catalysed|catalyzed|catalysts?)\b"
               # the stabiliser of zirconia or hafnia: "yttria-stabilised zirconia" (YSZ)
               r"|[\s-]*stabili[sz]ed\s+(?:zirconi|zro2|hafni))"
               r"|稳定(?:的)?(?:氧化)?[锆铪]"
               # a catalyst it names: "PET resin, Sb-catalysed (锑系催化剂)", "with antimony
               # catalyst"
               r"|系?催化"
               r"|(?:\s*[,/]\s*[A-Z][a-z]?\d*)*[)\]]\d*[A-Z][a-z]?\d*(?![a-z])"
               # the first symbol of a formula with a bracketed group: "Ga(NO3)3", "Ga(CH3)3"
               r"|\((?:[A-Z][a-z]?\d*)+\)\d"),
)


# Descriptions typed in capitals ("GEO2 5N", "SB 99.65 INGOT", "DY2O3/TREO>=99.5%") write the
# formulas in capitals too. A formula with a digit, or of four letters or more, keeps its
# meaning in capitals (GEO2, SMCO); a bare element symbol only right before a purity, a grade, a
# form or a treatment ("SB 99.65 INGOT", "GA 4N", "TB METAL", "DY GBD", "GE ZR INGOT": zone-
# refined), since alone it is often another word (EU, TB, GE); short compounds (GAN, GAP)
# never. Formulas match case-sensitively, so such capitals are put back in the formula's case
# before the scan.
_FORM_AFTER = (r"[\s-]*(?:\d{1,3}(?:[.,]\d+)?\s*%|\d{2}[.,]\d+|[2-9]N\d?(?![A-Za-z0-9])"
               r"|(?i:metal|ingots?|powders?|lumps?|granules?|beads?|shot|blocks?|pellets?"
               r"|targets?|chips?|pieces?|bars?|rods?|diffused|diffusion|gbd|zr|zone[\s-]?refined)\b)")


# ... or right after "W/", "WITH", "CONTAINING", "&", "+" or "/" ("NDFEB MAGNETS W/ DY & TB",
# "NO DY/TB"): what goods are made with.
_WITH_BEFORE = ("(?:(?<=W/ )|(?<=W/)|(?<=WITH )|(?<=CONTAINING )|(?<=& )|(?<=&)|(?<=\\+ )"
                "|(?<=\\+)|(?<=[A-Z]/))")


class Recaser:
    """Puts formulas written in capitals back in their own case (see above)."""

    __slots__ = ("_canon", "_pattern")

    def __init__(self, formulas: Iterable[str]) -> None:
        self._canon: dict[str, str] = {}
        whole: list[str] = []
        bare: list[str] = []
        for formula in formulas:
            upper = formula.upper()
            if upper == formula or upper in self._canon:
                continue
            if any(c.isdigit() for c in formula) or len(formula) >= 4:
                whole.append(upper)
            elif formula.isalpha() and sum(c.isupper() for c in formula) == 1:
                bare.append(upper)
            else:
                continue
            self._canon[upper] = formula

        def alternation(tokens: list[str]) -> str:
            return "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))

        parts = []
        if whole:
            parts.append(f"(?<![A-Za-z0-9])(?:{alternation(whole)})(?![A-Za-z0-9])")
        if bare:
            parts.append(f"(?<![A-Za-z0-9])(?:{alternation(bare)})(?={_FORM_AFTER})")
            parts.append(f"{_WITH_BEFORE}(?:{alternation(bare)})(?![A-Za-z0-9])")
        self._pattern = re.compile("|".join(parts)) if parts else None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._canon[m.group()], text)


# A typed name one letter off ("Galium", "Germainum", "Antimoney", "Tungstan") is read as the
# name it misspells, as an officer would read it: a word of six letters or more that is one
# edit (a letter added, dropped, changed, or two swapped) from exactly one word of six letters
# or more of the items' ids ("gallium", "germanium", "carbide", ...), unless it is the genus of
# a species' name. A word of any item name ("dioxyde" of "dioxyde de germanium") is never
# mended, and the other elements' names and a few words one letter off the ids' words
# ("geranium", "nitrite") count as words too, so that they are left as they are, and so is a
# word as near to two of them ("thalium": thallium or thulium?).
_LONG_WORD = re.compile(r"(?<![A-Za-z])[A-Za-z]{6,}(?![A-Za-z])")
# A capitalised word followed by a lower-case Latin epithet is a genus of a species' name
# ("Galium aparine", "Galium verum": bedstraws), not a misspelt element.
_EPITHET = re.compile(r"\s+[a-z]{3,}(?:um|us|ae|is|ine|ii|ata|ensis|oides|ica|ana|ia)\b")
_OTHER_WORDS = frozenset((
    "aluminium", "aluminum", "beryllium", "bismuth", "cadmium", "caesium", "calcium", "cerium",
    "cesium", "chromium", "hafnium", "helium", "indium", "iridium", "lanthanum", "magnesium",
    "neodymium", "niobium", "osmium", "palladium", "platinum", "polonium", "potassium",
    "praseodymium", "radium", "rhenium", "rhodium", "rubidium", "ruthenium", "selenium",
    "sodium", "strontium", "tantalum", "tellurium", "thallium", "thorium", "titanium",
    "uranium", "vanadium", "zirconium",
    # ordinary words one letter off a word of the ids
    "geranium", "nitrite", "nitrites", "selenite", "arsenite", "arsenate", "phosphite",
    "expander", "carbine"))


# A name written so as not to be read: letters spaced out ("G a l l i u m"), digits for letters
# ("Ga11ium", "4ntim0ny"), a hyphen or dot inside the word ("Gal-lium"). Put back together
# only where the result is a word of the items' ids (or one edit off one).
_SPACED = re.compile(r"(?<![A-Za-z0-9])(?:[A-Za-z] ){5,}[A-Za-z](?![A-Za-z0-9])")
_DIGITS_FOR_LETTERS = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*\d)(?=(?:[0-9]*[A-Za-z]){3})[A-Za-z0-9]{6,}(?![A-Za-z0-9])")
_SPLIT_WORD = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}[-.·][A-Za-z]{2,}(?![A-Za-z.·-])")
_LEET = (str.maketrans("0134579", "oleastg"), str.maketrans("0134579", "oieastg"))


class Speller:
    """Rewrites words one edit off the catalogue's words, and names written so as not to be
    read (see above)."""

    __slots__ = ("_known", "_own", "_seen", "_words")

    def __init__(self, ids: Iterable[str], names: Iterable[str]) -> None:
        own = {w for i in ids for w in re.split(r"[^a-z]+", i) if len(w) >= 6}
        self._words = frozenset(own | _OTHER_WORDS)
        self._own = frozenset(own)
        self._known = frozenset(w.lower() for n in names for w in _LONG_WORD.findall(n))
        self._seen: dict[str, str] = {}

    def word(self, word: str) -> str:
        """The catalogue word `word` misspells, or `word` itself."""
        if (known := self._seen.get(word)) is not None:
            return known
        lower = word.lower()
        plural = lower.endswith("s") and (lower[:-1] in self._words or lower[:-2] in self._words)
        near = [] if lower in self._words or lower in self._known or plural else [
            w for w in self._words
            if abs(len(w) - len(lower)) <= 1 and OSA.distance(lower, w, score_cutoff=1) <= 1]
        mended = near[0] if len(near) == 1 and near[0] in self._own else word
        if len(self._seen) >= 65536:
            self._seen.clear()
        self._seen[word] = mended
        return mended

    def __call__(self, text: str) -> str:
        if any(ch.isdigit() for ch in text):
            text = _DIGITS_FOR_LETTERS.sub(self._undigit, text)
        text = _SPACED.sub(lambda m: self._rejoin(m.group(), m.group().replace(" ", "")), text)
        text = _SPLIT_WORD.sub(lambda m: self._rejoin(m.group(), re.sub(r"[-.·]", "", m.group())),
                               text)
        return _LONG_WORD.sub(self._mend, text)

    def _rejoin(self, written: str, joined: str) -> str:
        """`joined` where it is (or mends to) a word of the ids, else `written` as it was."""
        return joined if self.word(joined).lower() in self._own else written

    def _undigit(self, match: re.Match[str]) -> str:
        word = match.group()
        for table in _LEET:
            found = self._rejoin(word, word.translate(table))
            if found != word:
                return found
        return word

    def _mend(self, match: re.Match[str]) -> str:
        word = match.group()
        if word.istitle() and _EPITHET.match(match.string, match.end()):
            return word  # a genus ("Galium verum" is a herb)
        return self.word(word)
