"""A cooperation–conflict index per dyad over time, from the machine-coded events in the store.

For two CAMEO country codes and a period length, `tension_df` gives, per period and for each
direction (A→B, B→A) and both together: the number of events, the mean Goldstein value, the mean
weighted by NumMentions, and the count of each quad class. `curated_markers` lists the curated
events and agreements of the dyad (dated, not machine-coded), drawn on `tension_chart`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import KgError
from kg.namespaces import KGC

if TYPE_CHECKING:
    from kg.storage.protocol import GraphStore as Store

PERIODS = ("month", "week", "year")
QUAD_COLUMNS = ("verbal_cooperation", "material_cooperation", "verbal_conflict", "material_conflict")
COLUMNS = ["period", "direction", "events", "goldstein_mean", "goldstein_weighted", *QUAD_COLUMNS]

# {countries} is filled with checked three-letter codes only (see _country).
_EVENTS = """
SELECT ?date ?goldstein ?mentions ?quad ?c1 ?c2 WHERE {{
  {{ SELECT DISTINCT ?a1 ?c1 WHERE {{ VALUES ?c1 {{ {countries} }} ?a1 kg:cameoCountry ?c1 }} }}
  {{ SELECT DISTINCT ?a2 ?c2 WHERE {{ VALUES ?c2 {{ {countries} }} ?a2 kg:cameoCountry ?c2 }} }}
  GRAPH ?g {{
    ?e kg:agent ?a1 ; kg:recipient ?a2 ; kg:gdeltEventId ?id ; kg:date ?date ;
       kg:goldstein ?goldstein ; kg:numMentions ?mentions ; kg:quadClass ?quad .
  }}
  FILTER((?c1 = "{a}" && ?c2 = "{b}") || (?c1 = "{b}" && ?c2 = "{a}"))
}}"""

_MARKERS = """
SELECT DISTINCT ?x ?label ?date WHERE {{
  {{ SELECT DISTINCT ?x WHERE {{
      VALUES ?top {{ kg:participant kg:party kg:signatory }}
      ?a kg:cameoCountry "{a}" . ?b kg:cameoCountry "{b}" .
      ?x ?top ?a . ?x ?top ?b .
  }} }}
  ?x kg:date ?date ; rdfs:label ?label .
  FILTER(LANG(?label) = "en")
  FILTER NOT EXISTS {{ ?x kg:gdeltEventId ?id }}
}}"""


@dataclass(frozen=True)
class Marker:
    """A curated event or agreement of the dyad, drawn on the chart."""

    iri: str
    label: str
    date: str


def _country(code: str) -> str:
    code = code.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise KgError(f"--dyad: {code!r} is not a CAMEO country code (three letters, e.g. JPN)")
    return code


def period_of(day: datetime.date, by: str) -> str:
    """The period label of a day: 2017-06 (month), 2017-W26 (ISO week) or 2017 (year)."""
    if by == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if by == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if by == "year":
        return f"{day.year:04d}"
    raise KgError(f"--by: {by!r} is not one of {', '.join(PERIODS)}")


def event_rows(store: Store, a: str, b: str) -> list[dict[str, Any]]:
    """The machine-coded events between A and B (either direction): date, Goldstein, mentions, quad class."""
    a, b = _country(a), _country(b)
    rows = []
    for row in store.query(_EVENTS.format(countries=f'"{a}" "{b}"', a=a, b=b)):
        quad = row["quad"].value
        rows.append(
            {
                "date": datetime.date.fromisoformat(row["date"].value[:10]),
                "goldstein": float(row["goldstein"].value),
                "mentions": int(row["mentions"].value),
                "quad": int(quad.rsplit("-", 1)[-1]) if quad.startswith(KGC + "quad-class-") else 0,
                "source": row["c1"].value,
                "target": row["c2"].value,
            }
        )
    return rows


def tension_df(
    store: Store,
    a: str,
    b: str,
    by: str = "month",
    since: str | None = None,
    until: str | None = None,
) -> Any:
    """The cooperation–conflict series of the dyad A–B, one row per period and direction.

    `direction` is "A→B", "B→A" or "both" (for A = B, only "A→A" and "both").
    Dates: YYYY, YYYY-MM or YYYY-MM-DD, inclusive.
    """
    import importlib

    from kg.readers.gdelt_rows import _user_date

    pd = importlib.import_module("pandas")  # ships no type information

    a, b = _country(a), _country(b)
    start, end = _user_date(since, "--since"), _user_date(until, "--until", end=True)
    period_of(datetime.date(2000, 1, 1), by)  # checks `by`
    rows = [
        r
        for r in event_rows(store, a, b)
        if (start is None or r["date"] >= start) and (end is None or r["date"] <= end)
    ]
    directions = [(a, b)] if a == b else [(a, b), (b, a)]
    records = []
    frame = pd.DataFrame(rows, columns=["date", "goldstein", "mentions", "quad", "source", "target"])
    frame["period"] = [period_of(d, by) for d in frame["date"]]
    groups = [(f"{x}→{y}", frame[(frame.source == x) & (frame.target == y)]) for x, y in directions]
    groups.append(("both", frame))
    for direction, part in groups:
        for period, chunk in part.groupby("period", sort=True):
            weights = chunk["mentions"].sum()
            record: dict[str, Any] = {
                "period": period,
                "direction": direction,
                "events": len(chunk),
                "goldstein_mean": round(float(chunk["goldstein"].mean()), 4),
                "goldstein_weighted": round(float((chunk["goldstein"] * chunk["mentions"]).sum() / weights), 4)
                if weights
                else None,
            }
            for number, column in enumerate(QUAD_COLUMNS, start=1):
                record[column] = int((chunk["quad"] == number).sum())
            records.append(record)
    order = {name: i for i, (name, _) in enumerate(groups)}
    records.sort(key=lambda r: (r["period"], order[r["direction"]]))
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def curated_markers(store: Store, a: str, b: str) -> list[Marker]:
    """Dated curated events and agreements with participants or parties from both countries."""
    a, b = _country(a), _country(b)
    found = {
        row["x"].value: Marker(row["x"].value, row["label"].value, row["date"].value)
        for row in store.query(_MARKERS.format(a=a, b=b))
    }
    return sorted(found.values(), key=lambda m: (m.date, m.label))


def _marker_day(text: str) -> datetime.date:
    parts = [int(p) for p in text.split("-")[:3]] + [1, 1]
    return datetime.date(parts[0], parts[1], parts[2])


def _period_start(period: str, by: str) -> datetime.date:
    if by == "year":
        return datetime.date(int(period), 1, 1)
    if by == "week":
        year, week = period.split("-W")
        return datetime.date.fromisocalendar(int(year), int(week), 1)
    year, month = period.split("-")
    return datetime.date(int(year), int(month), 1)


def tension_chart(frame: Any, path: Path, by: str, a: str, b: str, markers: list[Marker] | None = None) -> Path:
    """Draw the series (PNG or SVG by the file's suffix) with the curated markers; returns the path."""
    if path.suffix.lower() not in (".png", ".svg"):
        raise KgError(f"--chart {path}: the chart is written as .png or .svg")
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text (escaped) in SVG charts
    import matplotlib.pyplot as plt

    a, b = _country(a), _country(b)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, height_ratios=[3, 2])
    both = frame[frame.direction == "both"]
    days = [_period_start(p, by) for p in both.period]
    top.axhline(0, color="#888", linewidth=0.8)
    top.plot(days, both.goldstein_mean, marker="o", label="Goldstein mean (both directions)", color="#1f5fa8")
    top.plot(days, both.goldstein_weighted, marker=".", linestyle="--", label="mention-weighted", color="#d2691e")
    for direction in sorted(set(frame.direction) - {"both"}):
        part = frame[frame.direction == direction]
        top.plot(
            [_period_start(p, by) for p in part.period], part.goldstein_mean, linestyle=":", label=direction, alpha=0.8
        )
    top.set_ylim(-10.5, 10.5)
    top.set_ylabel("Goldstein (−10 conflict … +10 cooperation)")
    top.set_title(f"Cooperation and conflict {a}–{b}, by {by} (GDELT events)")
    bottom_level = [0] * len(both)
    colours = ["#4caf50", "#1b7e24", "#ff9800", "#c62828"]
    width = {"year": 200, "month": 20, "week": 5}[by]
    for column, colour in zip(QUAD_COLUMNS, colours, strict=True):
        bottom.bar(
            days,
            both[column],
            bottom=bottom_level,
            width=width,
            color=colour,
            label=column.replace("_", " "),
            align="edge",
        )
        bottom_level = [x + y for x, y in zip(bottom_level, both[column], strict=True)]
    bottom.set_ylabel("events")
    if days:
        first, last = min(days), max(days) + datetime.timedelta(days=width)
        for marker in markers or []:
            day = _marker_day(marker.date)
            if first <= day <= last:
                for axis in (top, bottom):
                    axis.axvline(day, color="#555", linewidth=0.8, linestyle="-.")
                top.annotate(marker.label, (day, 10), rotation=90, fontsize=7, va="top", ha="right")
    top.legend(fontsize=7, loc="lower left")
    bottom.legend(fontsize=7, loc="upper left", ncols=2)
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


_DYADS = """
SELECT ?c1 ?c2 (COUNT(?e) AS ?n) WHERE {
  { SELECT DISTINCT ?a1 ?c1 WHERE { ?a1 kg:cameoCountry ?c1 } }
  { SELECT DISTINCT ?a2 ?c2 WHERE { ?a2 kg:cameoCountry ?c2 } }
  GRAPH ?g { ?e kg:gdeltEventId ?id ; kg:agent ?a1 ; kg:recipient ?a2 }
} GROUP BY ?c1 ?c2"""


def busiest_dyads(store: Store, n: int = 10, *, same_country: bool = False) -> list[tuple[str, str, int]]:
    """The country pairs with the most machine-coded events (either direction), busiest first."""
    counts: dict[tuple[str, str], int] = {}
    for row in store.query(_DYADS):
        first, second = sorted((row["c1"].value, row["c2"].value))
        if first == second and not same_country:
            continue
        counts[(first, second)] = counts.get((first, second), 0) + int(row["n"].value)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(a, b, count) for (a, b), count in ranked[:n]]
