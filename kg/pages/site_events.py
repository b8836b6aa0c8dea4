"""The event page of `kg site` (only when the store holds machine-coded events): the busiest dyads,
each with its monthly cooperation–conflict series and chart (an SVG image, as a data: URI)."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path
from typing import Any

from kg.storage.embedded import Store
from kg.tension import COLUMNS, busiest_dyads, curated_markers, tension_chart, tension_df

PAGE = "events.html"
LINK = f'<p><a href="{PAGE}">Machine-coded events (GDELT): cooperation and conflict by dyad</a></p>'


def event_pages(store: Store, env: Any, dyads: int = 5) -> dict[str, str]:
    """{"events.html": page} when there are events between two countries, else {}."""
    pairs = busiest_dyads(store, dyads)
    if not pairs:
        return {}
    sections = []
    with tempfile.TemporaryDirectory(prefix="kg-site-") as folder:
        for first, second, count in pairs:
            frame = tension_df(store, first, second, by="month")
            chart = Path(folder) / f"{first}-{second}.svg"
            tension_chart(frame, chart, "month", first, second, curated_markers(store, first, second))
            image = "data:image/svg+xml;base64," + base64.b64encode(chart.read_bytes()).decode("ascii")
            rows = [[row[c] for c in COLUMNS] for row in frame.to_dict(orient="records")]
            sections.append({"title": f"{first}–{second}", "count": count, "image": image, "rows": rows})
    return {
        PAGE: str(
            env.get_template("events.html").render(
                title="Machine-coded events: cooperation and conflict by dyad",
                home="index.html",
                columns=COLUMNS,
                sections=sections,
            )
        )
    }
