"""Pure parts of the reviewer pages: quote highlighting, the session cookie, view helpers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from markupsafe import Markup

from service.engine import Ruleset
from service.models import Citation, Evidence, Finding, RulesetRef, Screening
from service.ui.highlight import Passage, anchor_id, highlight
from service.ui.session import Session, SessionCodec
from service.ui.settings import UiSettings
from service.ui.views import cited_sources, finding_views, flag_lookup, locate, rule_sources

# ------------------------------------------------------------------------------ highlight


def test_highlight_escapes_text_and_wraps_the_span() -> None:
    text = "a <b> & transshipment through hubs"
    start = text.index("transshipment")
    out = highlight(text, [Passage(start, start + 13, "q-1", (("#finding-1", "F1"),))])
    assert isinstance(out, Markup)
    assert out == ('a &lt;b&gt; &amp; <mark class="cite" id="q-1">transshipment</mark>'
                   '<a class="backref" href="#finding-1">F1</a> through hubs')


def test_highlight_uses_code_point_offsets() -> None:
    text = "经香港转运 “third-party nations” 马来西亚"
    quote = "third-party nations"
    start = text.index(quote)
    out = str(highlight(text, [Passage(start, start + len(quote), "q")]))
    assert f'<mark class="cite" id="q">{quote}</mark>' in out
    assert out.startswith("经香港转运 “") and out.endswith("” 马来西亚")


def test_overlapping_and_duplicate_spans_never_repeat_text() -> None:
    text = "alleged evasion tactics such as transshipment through third-party nations, false"
    outer = (0, text.index(","))
    inner = (text.index("transshipment"), text.index(","))
    out = highlight(text, [
        Passage(*outer, "q-outer", (("#finding-3", "F3"),)),
        Passage(*inner, "q-inner", (("#finding-1", "F1"),)),
        Passage(*inner, "q-inner", (("#finding-2", "F2"),)),
    ])
    plain = Markup(out).striptags()
    assert plain.replace("F3", "").replace("F1", "").replace("F2", "") == text
    assert str(out).count('id="q-inner"') == 1 and str(out).count('id="q-outer"') == 1
    assert '<mark class="cite" id="q-inner">transshipment through third-party nations</mark>' \
        in str(out)
    assert str(out).index('href="#finding-1"') < str(out).index('href="#finding-2"')


def test_same_start_gets_an_extra_anchor_and_bad_spans_are_ignored() -> None:
    text = "0123456789"
    out = str(highlight(text, [Passage(2, 8, "long"), Passage(2, 4, "short"),
                               Passage(5, 50, "past-end"), Passage(3, 3, "empty")]))
    assert '<span class="anchor" id="short"></span><mark class="cite" id="long">23</mark>' in out
    assert "past-end" not in out and "empty" not in out
    assert Markup(out).striptags() == text


def test_no_passages_is_just_escaped_text() -> None:
    assert highlight("<script>", []) == "&lt;script&gt;"


# ------------------------------------------------------------------------------ session


def test_session_round_trip_and_tampering() -> None:
    codec = SessionCodec("s" * 40, max_age=60)
    session = Session.anonymous().signed_in_as(key_id="k1", org="acme", role="reviewer",
                                               label=None)
    value = codec.dumps(session)
    assert codec.loads(value) == session
    assert codec.loads(value[:-2] + ("AA" if not value.endswith("AA") else "BB")) is None
    assert SessionCodec("t" * 40, max_age=60).loads(value) is None
    assert codec.loads("") is None and codec.loads("x" * 5000) is None


def test_session_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    codec = SessionCodec("s" * 40, max_age=60)
    value = codec.dumps(Session.anonymous())
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)
    assert codec.loads(value) is None


def test_signing_in_rotates_the_csrf_token() -> None:
    anonymous = Session.anonymous()
    signed = anonymous.signed_in_as(key_id="k", org="o", role="reviewer", label=None)
    assert signed.csrf != anonymous.csrf and signed.signed_in and not anonymous.signed_in
    assert signed.csrf_ok(signed.csrf)
    assert not signed.csrf_ok(anonymous.csrf) and not signed.csrf_ok(None)
    assert not signed.csrf_ok("")


def test_secret_file_is_created_once_and_private(tmp_path: Path) -> None:
    settings = UiSettings(session_secret_file=tmp_path / "var" / "session-secret")
    first = settings.resolve_secret()
    assert len(first) >= 32 and settings.resolve_secret() == first
    assert (tmp_path / "var" / "session-secret").stat().st_mode & 0o077 == 0
    assert [p.name for p in (tmp_path / "var").iterdir()] == ["session-secret"]


# ------------------------------------------------------------------------------ views


def _screening(ruleset: Ruleset) -> Screening:
    rule = next(r for r in ruleset.rules if r.spec.red_flag == "TRX-HUB")
    finding = Finding(
        rule_id=rule.spec.id, red_flag="TRX-HUB", title=rule.spec.title, category="x",
        severity="high", message="m",
        evidence=[Evidence(path="route.transit_countries[1]", value="MY", why="hub"),
                  Evidence(path="goods[0].hs_code", value="8112.92", why="controlled")],
        citations=list(rule.citations),
    )
    return Screening(reference="R", as_of="2025-08-04", ruleset=RulesetRef(version="v", rules=1),
                     decision="review", risk_score=50, findings=[finding, finding], checklist=[])


def test_findings_link_to_marked_passages_in_the_cited_seeds(ruleset: Ruleset) -> None:
    screening = _screening(ruleset)
    findings = finding_views(screening, ruleset.seeds)
    sources = cited_sources(findings, ruleset.seeds)
    cite = findings[0].citations[0]
    assert cite.span == tuple(cite.citation.span)
    html = "".join(str(s.text) for s in sources)
    assert f'id="{cite.anchor}"' in html
    assert 'href="#finding-1"' in html and 'href="#finding-2"' in html
    assert len({s.seed.id for s in sources}) == len(sources)


def test_a_moved_quote_is_found_again_and_a_missing_one_is_not_marked(ruleset: Ruleset) -> None:
    real = next(c for r in ruleset.rules for c in r.citations)
    moved = real.model_copy(update={"span": (0, len(real.quote))})
    assert locate(moved, ruleset.seeds) == tuple(real.span)
    missing = Citation(source=real.source, quote="words that are in no seed at all",
                       span=real.span)
    assert locate(missing, ruleset.seeds) is None
    assert locate(real.model_copy(update={"source": "seed-999"}), ruleset.seeds) is None


def test_flag_lookup_matches_paths_inside_a_prefix(ruleset: Ruleset) -> None:
    flags_for = flag_lookup(_screening(ruleset))
    assert flags_for("route") == ["finding-1", "finding-2"]
    assert flags_for("goods[0]") == ["finding-1", "finding-2"]
    assert flags_for("goods[1]") == [] and flags_for("rout") == []


def test_rule_sources_mark_every_rule_citation(ruleset: Ruleset) -> None:
    sources = {s.seed.id: s for s in rule_sources(ruleset)}
    assert set(sources) == set(ruleset.seeds)
    for rule in ruleset.rules:
        for c in rule.citations:
            assert f'id="{anchor_id(c.source, c.span)}"' in str(sources[c.source].text)
