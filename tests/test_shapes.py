"""Each SHACL shape (and the quote check) catches the data that breaks it, and only that."""

from __future__ import annotations

import pytest

from kg.build import validate_files
from tests.conftest import BROKEN, DATA, MINI

CASES = {
    "ruling-without-court": ("kgr:ruling-x", "kg:court", "A ruling needs the court"),
    "ruling-without-date": ("kgr:ruling-x", "kg:date", "A ruling needs its date"),
    "agreement-one-party": ("kgr:pact-x", "kg:party | kg:signatory", "at least two parties"),
    "event-without-date": ("kgr:visit-x", "-", "An event needs a date"),
    "event-without-participant": ("kgr:summit-x", "-", "at least one participant"),
    "claim-without-claimant": ("kgr:claim-x", "kg:claimant", "A claim needs a claimant"),
    "claim-without-content": ("kgr:claim-x", "kg:content", "A claim needs its content"),
    "office-term-without-holder": ("kgr:term-x", "kg:holder", "needs its holder"),
    "poll-share-out-of-range": ("kgr:result-x", "kg:share", "share between 0 and 1"),
    "evidence-without-source": ("https://example.org/test-evidence/q9", "kg:source", "needs its source"),
    "quote-not-in-source": ("https://example.org/test-evidence/q9", "kg:quote", "not a verbatim passage"),
    "offsets-wrong": ("https://example.org/test-evidence/q9", "kg:startOffset", "do not frame the quote"),
    "statement-without-evidence": ("kgr:yoon-suk-yeol", "kg:nationality", "Statement without evidence"),
    "entity-without-evidence": ("kgr:abe-x", "evidence", "No evidence record supports"),
    "untyped-date": ("kgr:press-conference-2023-03-16", "kg:date", "xsd:date, xsd:gYearMonth or xsd:gYear"),
    "two-dates": ("kgr:press-conference-2023-03-16", "kg:date", "One date only"),
    "no-english-label": ("kgr:kim-x", "rdfs:label", "English label"),
    "claim-without-type": ("kgr:claim-x", "kg:claimType", "A claim needs its claim type"),
    "person-as-party": ("kgr:pact-x", "kg:party", "a person who signs is a kg:signatory"),
    "policy-adopted-by-person": ("kgr:plan-x", "kg:adoptedBy", "not a person"),
    "side-without-member": ("kgr:side-b", "kg:sideMember", "at least one member"),
    "side-with-person": ("kgr:side-b", "kg:sideMember", "not single persons"),
    "side-without-dispute": ("kgr:side-x", "-", "exactly one dispute"),
    "dispute-one-side": ("kgr:dispute-x", "-", "needs at least two"),
    "actor-on-both-sides": ("kgr:dispute-x", "-", "two sides of the same dispute"),
    "disputant-without-side": ("kgr:dispute-x", "-", "member of one of its sides"),
    "place-without-country": ("kgr:district-x", "-", "kg:locatedIn its country"),
    "support-without-note": ("https://example.org/test-evidence/q9", "-", "needs a kg:supportNote"),
}

KGR = "https://w3id.org/kg-diplomacy/resource/"


def test_the_valid_fixture_conforms() -> None:
    assert validate_files([MINI], only=True) == []


def test_undated_event_anchored_to_a_dated_ruling_conforms() -> None:
    assert validate_files([MINI, DATA / "event-anchored.trig"], only=True) == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_shape_catches_broken_data(case: str) -> None:
    focus, path, message = CASES[case]
    focus = focus.replace("kgr:", KGR)
    violations = validate_files([MINI, BROKEN / f"{case}.trig"], only=True)
    errors = [v for v in violations if v.severity == "Violation"]
    assert errors, f"{case}: no violation reported"
    assert any(v.focus == focus and v.path == path and message in v.message for v in errors), (
        f"{case}: expected {focus} {path} '{message}', got:\n" + "\n".join(v.line() for v in errors)
    )


def test_every_broken_file_has_a_case() -> None:
    assert sorted(p.stem for p in BROKEN.glob("*.trig")) == sorted(CASES)
