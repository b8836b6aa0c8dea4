"""The GDELT events reader: GDELT 2.0 exports, GDELT 1.0 daily files and header-row CSV exports.

Rows are read, checked, filtered and mapped to N-Quads in `kg.readers.gdelt_rows` (re-exported
here); `load_events` streams them into a writable store with Oxigraph's bulk loader. `READER` is
the entry of the readers registry; `kg import gdelt` (kg/cli/events.py, through
kg.event_import.import_gdelt) adds the report of skipped rows and the atomic swap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, cast

import pyoxigraph as ox

from kg.errors import InputFileError, StoreError
from kg.readers.base import Reader, ReaderOption
from kg.readers.gdelt_rows import (
    FORM_NAMES,
    LAYOUTS,
    MAX_LINE,
    EventFilter,
    EventMapper,
    GdeltEvent,
    ImportReport,
    NQuadsStream,
    Progress,
    Skipped,
    event_quads,
    input_size,
    parse_event,
    parse_filter,
    read_events,
    read_rows,
)
from kg.storage.embedded import Store

__all__ = [
    "FORM_NAMES",
    "LAYOUTS",
    "MAX_LINE",
    "READER",
    "EventFilter",
    "EventMapper",
    "GdeltEvent",
    "ImportReport",
    "NQuadsStream",
    "Progress",
    "Skipped",
    "event_count",
    "event_quads",
    "input_size",
    "known_actors",
    "load_events",
    "parse_event",
    "parse_filter",
    "read_events",
    "read_rows",
]

_KNOWN_ACTORS = """
SELECT DISTINCT ?entity ?code WHERE {
  ?entity kg:cameoActorCode ?code .
  FILTER(!STRSTARTS(STR(?entity), "https://w3id.org/kg-diplomacy/resource/cameo-actor-"))
}"""
_EVENT_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?e kg:gdeltEventId ?id } }"


def known_actors(store: Store) -> dict[str, str]:
    """CAMEO actor codes of curated entities ("JPNGOV" -> <…/government-of-japan>), as N-Quads terms."""
    found: dict[str, str] = {}
    for row in store.query(_KNOWN_ACTORS):
        found.setdefault(row["code"].value, f"<{row['entity'].value}>")
    return found


def event_count(store: Store) -> int:
    """How many GDELT events the store holds."""
    return int(next(iter(store.query(_EVENT_COUNT)))["n"].value)


def load_events(
    store: Store,
    files: list[Path],
    event_filter: EventFilter | None = None,
    report: ImportReport | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Stream the kept events of `files` into an open, writable store; return the report."""
    report = report if report is not None else ImportReport()
    started = time.perf_counter()
    quads_before, events_before = len(store), event_count(store)
    counter = Progress(sum(input_size(f) for f in files), progress)
    events = read_events(files, event_filter, report, counter)
    stream = NQuadsStream(events, EventMapper(known_actors(store)))
    reader = cast(IO[bytes], stream)
    try:
        if store.location == ":memory:":
            store.oxigraph.load(input=reader, format=ox.RdfFormat.N_QUADS)
        else:
            store.oxigraph.bulk_load(input=reader, format=ox.RdfFormat.N_QUADS)
    except (OSError, SyntaxError, ValueError) as error:
        if stream.error is not None:
            raise stream.error from None
        raise StoreError(f"{store.location}: loading the events failed: {error}") from None
    if stream.error is not None:
        raise stream.error
    report.quads_added = len(store) - quads_before
    report.events_added = event_count(store) - events_before
    report.seconds = time.perf_counter() - started
    return report


# ---------------------------------------------------------------------------------------------
# The registry entry (kg/readers/__init__.py)


def _load(store: Store, path: Path, options: Mapping[str, Any]) -> None:
    """The registry's interface: load one file; it has no report, so a malformed row fails the load
    (the store stays unchanged). `kg import gdelt` and kg.event_import.import_gdelt skip and report."""
    dyads = [d for d in str(options.get("dyad") or "").split(",") if d.strip()]
    chosen = parse_filter(
        options.get("actor_country"), dyads, options.get("since"), options.get("until"), options.get("root_codes")
    )
    report = load_events(store, [path], chosen)
    if report.skipped:
        first = report.skipped[0]
        raise InputFileError(first.file, first.reason, first.line)


READER = Reader(
    name="gdelt",
    summary="GDELT event files: 2.0 exports (61 columns, .CSV or .CSV.zip), 1.0 daily files (57/58 columns) "
    "or CSV exports with a header row; each event a kg:Event with its CAMEO code.",
    suffixes=(),  # never picked by `kg build` for a .csv: only `kg import gdelt` reads these
    load=_load,
    options=(
        ReaderOption("actor_country", "Keep events with an actor of these CAMEO countries (JPN,KOR)."),
        ReaderOption("dyad", "Keep events between A and B, either direction (A:B, comma-separated)."),
        ReaderOption("since", "Keep events on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD)."),
        ReaderOption("until", "Keep events on or before DATE."),
        ReaderOption("root_codes", "Keep these CAMEO root codes (03,04,14)."),
    ),
    example="kg import gdelt 20170701234500.export.CSV.zip --dyad JPN:KOR",
)
