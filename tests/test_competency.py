"""The seven public competency questions: canned queries give the right values and evidence quotes."""

from __future__ import annotations

from typing import Any

from kg.output import python_value
from kg.query import run_canned
from kg.storage.embedded import Store


def rows(store: Store, name: str, **params: str) -> list[dict[str, Any]]:
    result = run_canned(store, name, params)
    names = [v.value for v in result.variables]
    return [{n: python_value(row[n]) if row[n] is not None else None for n in names} for row in result]


def test_cq1_summit_leaders_and_place(bundled_store: Store) -> None:
    answer = rows(bundled_store, "cq1-summit-leaders")
    by_role = {r["role"]: r for r in answer}
    assert by_role["host"]["answer"] == "Kishida Fumio"
    assert by_role["guest"]["answer"] == "Yoon Suk-yeol"
    assert by_role["place"]["answer"] == "Tokyo"
    assert {r["date"] for r in answer} == {"2023-03-16"}
    assert "At the March 16 summit, Kishida" in by_role["host"]["quote"]
    assert "sukiyaki restaurant in Tokyo’s Ginza district, March 16, 2023" in by_role["place"]["quote"]


def test_cq1_date_parameter_selects_another_summit(bundled_store: Store) -> None:
    assert rows(bundled_store, "cq1-summit-leaders", date="2023-03-17") == []


def test_cq2_ruling_order(bundled_store: Store) -> None:
    (answer,) = rows(bundled_store, "cq2-ruling-order")
    assert answer["courtLabel"] == "Supreme Court of Korea"
    assert answer["date"] == "2018-10"
    assert answer["orderedParty"] == "two Japanese companies" and answer["orderedCount"] == 2
    assert answer["orderedNationality"] == "Japan"
    assert answer["beneficiaryCount"] == 15
    assert answer["quote"] == (
        "The acrimony came to a head in October 2018, when South Korea’s Supreme Court ordered two Japanese "
        "companies to compensate 15 South Korean victims of forced labor."
    )


def test_cq3_compensation_plan(bundled_store: Store) -> None:
    answer = rows(bundled_store, "cq3-compensation-plan")
    assert {r["announcedBy"] for r in answer} == {"Yoon Suk-yeol"}
    assert {r["announcementDate"] for r in answer} == {"2023-03-06"}
    assert any("state-affiliated foundation" in r["fundedThrough"] for r in answer)
    assert any("South Korean companies" in r["fundedBy"] for r in answer)
    assert any(r["quote"].startswith("On March 6 this year, Yoon announced a plan") for r in answer)


def test_cq4_export_controls(bundled_store: Store) -> None:
    answer = rows(bundled_store, "cq4-export-controls")
    first = answer[0]
    assert first["imposedDate"] == "2019-07" and first["adoptedBy"] == "Japan"
    assert "three materials needed to produce semiconductors and displays" in first["liftedScope"]
    assert first["responseStatus"] == "withdrawn" and first["forum"] == "World Trade Organization"
    quotes = " ".join(r["quote"] for r in answer)
    assert "Japan moved to end the controls it imposed on industrial exports to South Korea in July 2019" in quotes
    assert "Seoul, in turn, agreed to withdraw the complaint it had filed with the World Trade Organization." in quotes


def test_cq5_phnom_penh_statement(bundled_store: Store) -> None:
    answer = rows(bundled_store, "cq5-phnom-penh-statement")
    assert {r["signatory"] for r in answer} == {"Kishida Fumio", "Yoon Suk-yeol", "Joe Biden"}
    assert {r["date"] for r in answer} == {"2022-11"}
    assert {r["commitment"] for r in answer} == {"Share North Korean missile warning data in real time."}
    assert all(r["quote"].startswith("In a joint statement issued in Phnom Penh last November") for r in answer)


def test_cq6_minefields(bundled_store: Store) -> None:
    answer = rows(bundled_store, "cq6-minefields")
    disputes = {r["disputeLabel"] for r in answer}
    assert disputes == {
        "Release of treated water from the Fukushima nuclear power plant",
        "Korean opposition to adding the Sado mine complex to the UNESCO World Heritage list",
    }
    assert {r["categoryLabel"] for r in answer} == {"environmental", "heritage"}
    assert all(r["quote"].startswith("Further minefields await our leaders") for r in answer)


def test_cq7_chain_from_ruling_to_summit(bundled_store: Store) -> None:
    answer = rows(bundled_store, "cq7-ruling-to-summit")
    steps = sorted({(r["step"], r["fromLabel"], r["relation"], r["toLabel"]) for r in answer})
    assert steps[0][1:] == (
        "Supreme Court forced-labour ruling of October 2018",
        "concerns",
        "Forced-labour compensation dispute",
    )
    assert [s[2] for s in steps] == [
        "concerns",
        "in response to",
        "aims to resolve",
        "based on",
        "in response to",
        "part of",
    ]
    assert steps[-1][1] == "Japan-ROK summit of 16 March 2023"
    quotes = {r["quote"] for r in answer}
    assert any(q.startswith("It was on the basis of this arrangement that Tokyo invited Yoon") for q in quotes)
    assert all(r["quote"] for r in answer)
