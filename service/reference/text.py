"""Text folding (case, width and punctuation, so that matching is robust to how text was
typed), and what a packaging text says of the labels, of the other goods and of the carriage."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def _traditional_to_simplified() -> dict[int, str]:
    """Every traditional character that OpenCC's t2s maps to one simplified character, so that
    釹鐵硼, 高純鎵, 軍用 and 藏於夾層 match 钕铁硼, 高纯镓, 军用 and 藏于夹层. Built once, as a
    `str.translate` table: one conversion of the CJK blocks, each character on its own line (no
    phrase spans two of them)."""
    chars = [chr(c) for block in ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
             for c in range(*block)]
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    return {ord(t): s for t, s in zip(chars, converted, strict=True) if s != t and len(s) == 1}


TRADITIONAL = _traditional_to_simplified()

_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w%+./-]+")


def is_cjk(text: str) -> bool:
    """Chinese, Japanese or Korean, a script of Southeast Asia written without spaces between
    words (Thai, Lao, Khmer, Myanmar), or a script of South Asia, whose vowel signs are not
    word characters to a regular expression (Devanagari, Bengali, ..., Sinhala): matched as a
    substring (words run together, or carry particles: "군사용으로", "บรรจุปนกับของเล่น")."""
    return any("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"
               or "\uac00" <= ch <= "\ud7af" or "\u0e00" <= ch <= "\u0eff"
               or "\u1000" <= ch <= "\u109f" or "\u1780" <= ch <= "\u17ff"
               or "\u0900" <= ch <= "\u0dff" for ch in text)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """NFKC (full-width to half-width), case-folded, listed traditional characters simplified,
    whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(TRADITIONAL)
    return _SPACE.sub(" ", folded).strip()


@lru_cache(maxsize=65536)
def fold_words(text: str) -> str:
    """`fold` with punctuation turned into single spaces: the form keyword matching sees."""
    return _SPACE.sub(" ", _PUNCT.sub(" ", fold(text))).strip()


def normalise_quotes(text: str) -> str:
    """Typographic quotes to ASCII, as citation matching compares them."""
    return text.translate(_QUOTES)


# Nouns of packages and of what carries them.
_PACKAGES = (r"pallets?|drums?|cartons?|crates?|box(?:es)?|bags?|sacks?|containers?|packages?"
             r"|parcels?|cases?|layers?|foam|dunnage|bins?|totes?|jars?|bottles?|tins?|cans?"
             r"|bales?|bundles?|pails?|buckets?|kegs?|barrels?|pouch(?:es)?|vials?|ampoules?"
             r"|ampules?|flasks?|cylinders?|canisters?|ibcs?|envelopes?|sleeves?|liners?|film"
             r"|foil|wrap(?:ping)?|trays?|cassettes?|carriers?|packaging|packing|warehouse"
             r"|vessel|hold|truck|trailer|van|aircraft|ship|reefer|tank|argon|nitrogen|vacuum")

# "drums labelled 'zinc ingots'", "cartons marked: ceramic parts", "shipping marks 'spare parts'",
# "declared together as tableware", "listed as motor spare parts", "packing list shows
# ferroboron only", "外包装标注为锌锭", "申报为瓷器": what the packages say, or the papers declare,
# they hold (a quoted text, or the rest of the clause). "Labelled with" names the label's fields
# ("labelled with product name and hazard class"), so only a quoted text after it is read:
# "marked with 'spare parts'"; and "labelled cartons" or "a labelled PE bottle" are packages that
# carry a label.
_MARKED = r"(?i:\b(?:labell?ed|marked|stencill?ed|tagged|printed|marks|markings?)\b)"
_QUOTED = r"[\"'“‘「『]([^\"'”’」』]+)"
_LABEL = re.compile(
    _MARKED + r"\s+(?i:with)\s*[:：-]?\s*" + _QUOTED + "|"
    r"(?:" + _MARKED + r"(?!\s+(?i:with)\b|(?:\s+[\w-]+){0,2}?\s+(?i:" + _PACKAGES + r")\b)"
    r"(?:\s+(?i:as|to\s+read|reading))?\s*[:：-]?"
    r"|(?i:\b(?:declared(?:\s+together)?|invoiced|described|manifested|listed)\s+as\b)\s*[:：-]?"
    r"|(?i:\b(?:packing\s+list|invoice|papers|documents?)\s+(?:shows?|states?|says|lists?)\b)"
    r"\s*[:：-]?"
    r"|(?:标签|标注|标明|标识|标记|唛头|印有)(?:为|是|写着|写有)?\s*[:：]?"
    r"|(?:申报|报关)为\s*[:：]?)\s*"
    r"(?:" + _QUOTED + r"|([^,;.()，；。（）]+))"
)


@lru_cache(maxsize=8192)
def label_text(packaging: str) -> str | None:
    """What a packaging description says is written on the packages (or that the papers
    declare them as), None when it says nothing of the kind; several are joined with "; "."""
    return _captured(_LABEL, packaging.translate(TRADITIONAL))


# "wafer boxes among PV modules", "bags packed inside crates of porcelain floor tiles", "bags
# stowed in the middle of the zinc concentrate bags", "bars packed inside speaker cabinets",
# "bars packed in between the zinc ingots": the other goods the packages travel among or inside.
# Not packaging, a count or a pronoun ("split among 2 pallets", "among the drums", "inside
# cartons of 20", "inside padded aluminium cases"), and "crates of plywood" is what a crate is
# made of: only the crates *inside which* the goods are, are read.
_NOT_GOODS = (rf"(?!\d|(?i:(?:{_PACKAGES}|shipments?|consignments?|loads?|lots?|same|them"
              r"|these|those|the|which|its|their|each|every|all|both|and|or|out|outside|with|as)"
              r"\b))")
_AMONG = re.compile(
    r"(?i:\b(?:among(?:st)?|amid(?:st)?|in\s+the\s+middle\s+of|in\s+between|parmi|среди)"
    r"\s+(?:the\s+)?+)"
    + _NOT_GOODS
    + r"([^,;.()]+)"
    r"|(?i:\b(?:inside|within|among(?:st)?|amid(?:st)?|in\s+between)\s+(?:the\s+)?"
    r"(?:crates?|cartons?|boxes|cases?|bundles?|bales?"
    r"|pallets?|containers?|drums?|sacks?|bags?|stacks?)\s+of\s+(?:the\s+)?+)" + _NOT_GOODS
    + r"([^,;.()]+)"
    # inside other things, where the clause names no package at all
    + rf"|(?i:\binside\s+(?:the\s+)?+)(?![^,;.()]*\b(?i:{_PACKAGES})\b)" + _NOT_GOODS
    + r"([^,;.()]+)"
)


# A clause about how the papers travel ("3/3 original B/L and EUC copy sent to consignee by SF
# Express (documents only)"), or about delivery once the goods have cleared import ("after
# import clearance the cartons are handed to Poczta Polska"): neither is how the goods leave.
_NOT_CARRIAGE = re.compile(
    r"(?i:\b(?:documents?|docs|papers|originals?|b/l|bills?\s+of\s+lading|awb|air\s*waybills?"
    r"|euc|end[-\s]user\s+certificates?|invoices?|certificates?|licen[cs]es?|packing\s+lists?)"
    r"\b[^;,.]*?\b(?:sent|dispatched|couriered|mailed|posted|forwarded|delivered|go|goes|travel)\b"
    r"|\bdocuments\s+only\b|\bafter\s+(?:import\s+|customs\s+)*clearance\b)")
_CLAUSES = re.compile(r"[;\n]|\.(?:\s|$)")


@lru_cache(maxsize=8192)
def carriage_text(packaging: str) -> str | None:
    """The packaging text without its clauses about how the papers travel or about delivery
    after import clearance: what it says of how the goods leave. None when nothing is left."""
    kept = [c.strip() for c in _CLAUSES.split(packaging) if c.strip()]
    return "; ".join(c for c in kept if not _NOT_CARRIAGE.search(c)) or None


@lru_cache(maxsize=8192)
def among_text(packaging: str) -> str | None:
    """The other goods a packaging description says the packages are packed among or inside,
    None when it names none; several are joined with "; "."""
    return _captured(_AMONG, packaging)


def _captured(pattern: re.Pattern[str], text: str) -> str | None:
    """What each match of `pattern` captured (in whichever of its groups), joined with "; ";
    None when nothing is captured."""
    found = [next((g for g in m.groups() if g), "").strip() for m in pattern.finditer(text)]
    return "; ".join(f for f in found if f) or None
