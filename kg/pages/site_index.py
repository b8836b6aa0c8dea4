"""The index of `kg site`: every entity listed once over fixed-size pages linked in order, and an
offline search over a script file shipped with the site.

Page 1 of the list is part of ``index.html`` (under the whole-graph drawing); pages 2… are
``list/2.html`` …. The search index is ``search-index.js`` (``window.kgSearchIndex = [[label, href,
kind, date], …]``), loaded with a ``<script src>`` so that it works from file:// where a page may
not fetch a JSON file; ``assets/kg-search.js`` matches as one types and puts the results in with
``textContent``. Labels travel as JSON data, never as markup.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from kg.pages.render import json_for_script

PAGE_SIZE = 500  # entities per list page
SEARCH_INDEX = "search-index.js"
SEARCH_SCRIPT = "assets/kg-search.js"


def list_path(number: int) -> str:
    """The site-relative path of list page `number` (1 is the index itself)."""
    return "index.html" if number == 1 else f"list/{number}.html"


def paged(entities: list[dict[str, Any]], size: int = PAGE_SIZE) -> list[list[dict[str, Any]]]:
    """The entities cut into list pages of `size` (at least one page, maybe empty)."""
    return [entities[start : start + size] for start in range(0, len(entities), size)] or [[]]


def pager(number: int, count: int, prefix: str) -> dict[str, Any]:
    """Links of list page `number` of `count`: previous, next and a window of page numbers."""

    def link(n: int) -> str:
        return prefix + list_path(n)

    window = sorted({1, count, *range(max(1, number - 3), min(count, number + 3) + 1)})
    return {
        "number": number,
        "count": count,
        "previous": link(number - 1) if number > 1 else None,
        "next": link(number + 1) if number < count else None,
        "pages": [{"number": n, "href": link(n), "current": n == number} for n in window],
    }


def search_index(entities: list[dict[str, Any]]) -> str:
    """The search index script: the entities as JSON data assigned to window.kgSearchIndex (escaped by
    `json_for_script`: valid JavaScript before ES2019 too, inert wherever it is pasted)."""
    rows = [[e["label"], e["href"], e["kind"], e.get("date", "")] for e in entities]
    return f"window.kgSearchIndex = {json_for_script(rows)};\n"


def search_script() -> str:
    """The search widget's code (a static file of kg's templates)."""
    return (files("kg") / "templates" / "kg-search.js").read_text(encoding="utf-8")


def list_pages(env: Any, entities: list[dict[str, Any]], size: int = PAGE_SIZE) -> dict[str, str]:
    """List pages 2… (page 1 is rendered into index.html by the caller with `first_page`)."""
    pages = paged(entities, size)
    out: dict[str, str] = {}
    for number, chunk in enumerate(pages[1:], start=2):
        out[list_path(number)] = str(
            env.get_template("entity_list.html").render(
                title=f"kg: entities, page {number} of {len(pages)}",
                entities=chunk,
                start=(number - 1) * size + 1,
                total=len(entities),
                pager=pager(number, len(pages), "../"),
                prefix="../",
            )
        )
    return out


def first_page(entities: list[dict[str, Any]], size: int = PAGE_SIZE) -> dict[str, Any]:
    """What index.html shows of the list: page 1 and its pager."""
    pages = paged(entities, size)
    return {"entities": pages[0], "start": 1, "total": len(entities), "pager": pager(1, len(pages), "")}
