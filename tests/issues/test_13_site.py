"""Issue 13, item 4: `kg site` at scale — a paged index listing every entity once, an offline search
that works from file:// in Chromium (hostile labels stay text), a whole-graph page drawn from
positions computed in Python (a reduced overview above a size, said on the page), entity pages in
worker processes giving the same files, hub neighbourhoods cut, and progress only on a terminal.

Then what stop 9 saw and left: the site replaces its folder only when complete (a failure or a kill
half-way leaves the earlier site byte-identical, a rebuild leaves no stale page, a folder that is not
a kg site is refused); search-index.js escapes U+2028/U+2029, `</script` and `<!--`; and what name
lookups read of the ontology is kept per store generation and process."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from kg.build import build
from kg.pages.site import site_pages, write_site
from kg.storage import open_store
from kg.storage.embedded import Store
from tests.conftest import DATA, MINI, tree_digest

KG = [sys.executable, "-m", "kg"]
YOON = "https://w3id.org/kg-diplomacy/resource/yoon-suk-yeol"
HOSTILE = "<img src=x onerror=\"window.__xss=1;document.title='pwned'\">"


class _Links(HTMLParser):
    """The entity links of a list page (`ul.entities a`) and its rel=next / rel=prev links."""

    def __init__(self) -> None:
        super().__init__()
        self.entities: list[str] = []
        self.next: list[str] = []
        self.prev: list[str] = []
        self._in_list = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "ul":
            self._in_list = found.get("class") == "entities"
        elif tag == "a" and self._in_list:
            self.entities.append(str(found["href"]))
        elif tag == "a" and found.get("rel") in ("next", "prev"):
            (self.next if found["rel"] == "next" else self.prev).append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul":
            self._in_list = False


def _links(text: str) -> _Links:
    parser = _Links()
    parser.feed(text)
    return parser


def _write(pages: dict[str, str], folder: Path) -> Path:
    for relative, text in pages.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def paged_site(bundled_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled graph's site with 25 entities per list page and a 30-entity overview."""
    pages = site_pages(bundled_store, page_size=25, overview=30)
    return _write(pages, tmp_path_factory.mktemp("paged-site"))


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "store"
    build(path, [DATA / "xss.trig"], only=True)
    return _write(site_pages(open_store(path), page_size=2), tmp_path_factory.mktemp("hostile-site"))


def test_index_pages_link_up_and_list_every_entity_once(paged_site: Path) -> None:
    every = set(json.loads((paged_site / "entities.json").read_text(encoding="utf-8")).values())
    assert len(every) > 50  # enough for three pages or more
    seen: list[str] = []
    page, visited = paged_site / "index.html", []
    while True:
        visited.append(page)
        links = _links(page.read_text(encoding="utf-8"))
        folder = page.parent
        assert len(links.entities) <= 25
        seen += [str((folder / href).resolve().relative_to(paged_site.resolve())) for href in links.entities]
        if visited[-1] != paged_site / "index.html":  # prev leads back to the page we came from
            assert (folder / links.prev[0]).resolve() == visited[-2].resolve()
        if not links.next:
            break
        page = (folder / links.next[0]).resolve()
        assert page.exists() and page not in visited
    assert len(visited) == -(-len(every) // 25)
    assert len(seen) == len(set(seen)) and set(seen) == every
    assert all((paged_site / href).exists() for href in seen)
    index = (paged_site / "search-index.js").read_text(encoding="utf-8")
    rows = json.loads(index.removeprefix("window.kgSearchIndex = ").rstrip().rstrip(";"))
    assert sorted(row[1] for row in rows) == sorted(every)
    assert [row[0].casefold() for row in rows] == sorted(row[0].casefold() for row in rows)


def _wait(page: Any, condition: str, seconds: float = 60) -> None:
    """Poll `condition` with page.evaluate: wait_for_function's polling is an eval, which the
    pages' own Content-Security-Policy (kept in force here) forbids."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + seconds
    while True:
        try:
            if page.evaluate(f"Boolean({condition})"):
                return
        except Error as error:  # a navigation replaced the page between two polls
            assert "context was destroyed" in str(error) or "navigat" in str(error), error
        assert time.monotonic() < deadline, f"not within {seconds} s: {condition}"
        page.wait_for_timeout(100)


class Browser:
    """A Chromium page (CSP in force: the site must work under its own policy) recording errors."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport={"width": 1200, "height": 800})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def search(self, path: Path, text: str) -> list[tuple[str, str]]:
        """Open `path`, type `text` into the site search; the results as (text, href)."""
        self.page.goto(path.as_uri())
        _wait(self.page, "window.kgSearch && window.kgSearch.ready")
        self.page.fill("#site-search", text)
        items = self.page.locator("#site-search-results li a")
        return [
            (str(items.nth(i).text_content()), str(items.nth(i).get_attribute("href"))) for i in range(items.count())
        ]

    def inert(self) -> bool:
        external = [u for u in self.requests if not u.startswith(("file:", "data:", "blob:"))]
        return self.page.evaluate("window.__xss") is None and self.page.title() != "pwned" and external == []


@pytest.fixture
def chromium(browser: Any) -> Iterator[Browser]:
    opened = Browser(browser)
    yield opened
    opened.page.close()


def test_search_finds_an_entity_by_label_from_file_urls(chromium: Browser, paged_site: Path) -> None:
    hits = chromium.search(paged_site / "index.html", "yoon suk")
    assert ("Yoon Suk-yeol", "entities/yoon-suk-yeol.html") in hits
    assert chromium.page.locator("#site-search-count").text_content().startswith(f"{len(hits)} match")
    chromium.page.click("#site-search-results a >> text=Yoon Suk-yeol")
    _wait(chromium.page, "window.kgGraph && window.kgGraph.ready")
    assert chromium.page.url.endswith("/entities/yoon-suk-yeol.html")
    # From a list page one folder down, the same entity, with a link that still resolves.
    deeper = chromium.search(paged_site / "list" / "3.html", "Yoon Suk")
    assert ("Yoon Suk-yeol", "../entities/yoon-suk-yeol.html") in deeper
    assert chromium.search(paged_site / "list" / "2.html", "no such entity at all") == []
    assert chromium.errors == [] and chromium.inert()


def test_hostile_labels_stay_text_in_search_results(chromium: Browser, hostile_site: Path) -> None:
    for page in [hostile_site / "index.html", *sorted((hostile_site / "list").glob("*.html"))]:
        hits = chromium.search(page, "img src")
        assert [text for text, _ in hits] == [HOSTILE]
        assert chromium.page.locator("#site-search-results img, #site-search-results script").count() == 0
        for query in ("script", "javascript", "<!--", "onclick"):
            for _, href in chromium.search(page, query):
                assert re.fullmatch(r"(\.\./)?entities/[a-z0-9-]+\.html", href), href
        assert chromium.page.locator("ul.entities img, ul.entities script, ul.entities b").count() == 0
        assert chromium.inert()
    assert chromium.errors == []


def _graph_data(index: Path) -> dict[str, Any]:
    text = index.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', text, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_whole_graph_page_draws_precomputed_positions(
    chromium: Browser, paged_site: Path, bundled_store: Store
) -> None:
    from kg.analysis.project import entity_graph

    graph = entity_graph(bundled_store)
    data = _graph_data(paged_site / "index.html")
    assert len(data["nodes"]) == 30 < graph.number_of_nodes()
    ranked = sorted(graph.degree(), key=lambda item: (-item[1], item[0]))
    assert {n["id"] for n in data["nodes"]} == {node for node, _ in ranked[:30]}
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) and n["physics"] is False for n in data["nodes"])
    assert data["options"]["physics"] == {"enabled": False}
    index = (paged_site / "index.html").read_text(encoding="utf-8")
    assert f"30 most linked of {graph.number_of_nodes()}" in index
    page = chromium.page
    page.goto((paged_site / "index.html").as_uri())
    _wait(page, "window.kgGraph && window.kgGraph.ready")
    assert page.evaluate("network.physics.physicsEnabled") is False
    expected = {n["id"]: (n["x"], n["y"]) for n in data["nodes"]}
    first = page.evaluate("network.getPositions()")
    page.wait_for_timeout(500)
    later = page.evaluate("network.getPositions()")
    assert first == later  # nothing moves
    assert set(later) == set(expected)  # vis reports positions rounded to whole pixels
    assert all(abs(later[k]["x"] - x) < 1 and abs(later[k]["y"] - y) < 1 for k, (x, y) in expected.items())
    assert chromium.errors == [] and chromium.inert()


def test_hostile_whole_graph_page_renders_inert(chromium: Browser, hostile_site: Path) -> None:
    page = chromium.page
    page.goto((hostile_site / "index.html").as_uri())
    _wait(page, "window.kgGraph && window.kgGraph.ready")
    options = page.evaluate("Array.from(document.querySelectorAll('#entity-options option')).map(o => o.value)")
    assert HOSTILE in options
    assert all(n["physics"] is False for n in _graph_data(hostile_site / "index.html")["nodes"])
    assert chromium.errors == [] and chromium.inert()


def test_worker_processes_write_the_same_site(bundled_store_path: Path, tmp_path: Path) -> None:
    store = open_store(bundled_store_path)
    one = write_site(store, tmp_path / "one", jobs=1)
    two = write_site(store, tmp_path / "two", jobs=2)
    assert (two.jobs, one.jobs) == (2, 1)
    assert tree_digest(tmp_path / "one") == tree_digest(tmp_path / "two")
    files = [p for p in (tmp_path / "two").rglob("*") if p.is_file()]
    assert two.files == one.files == len(files)
    assert two.bytes == one.bytes == sum(p.stat().st_size for p in files)
    assert two.entity_pages == len(list((tmp_path / "two" / "entities").glob("*.html")))


def test_a_hub_page_draws_its_closest_most_central_neighbours(bundled_store: Store) -> None:
    pages = site_pages(bundled_store, ego_limit=5)
    whole = site_pages(bundled_store)
    korea = "entities/republic-of-korea.html"
    data = _graph_data_text(pages[korea])
    assert len(data["nodes"]) == 6
    full = _graph_data_text(whole[korea])
    assert len(full["nodes"]) > 6
    assert f"the 6 closest and most central of {len(full['nodes'])} entities" in pages[korea]
    assert {n["id"] for n in data["nodes"]} < {n["id"] for n in full["nodes"]}
    assert pages[korea].count("<tr>") == whole[korea].count("<tr>")  # facts and timeline complete


def _graph_data_text(text: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', text, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def _env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "CI"}, **extra}


def test_site_progress_only_on_a_terminal(bundled_store_path: Path, tmp_path: Path) -> None:
    piped = subprocess.run(
        [*KG, "--store", str(bundled_store_path), "site", str(tmp_path / "piped")],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == ""
    assert piped.stderr.startswith("Wrote ") and piped.stderr.count("\n") == 1 and "\r" not in piped.stderr
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [*KG, "--store", str(bundled_store_path), "-v", "site", str(tmp_path / "tty")],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=_env(),
    )
    os.close(slave)
    shown = b""
    while select.select([master], [], [], 120)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    process.wait(timeout=60)
    os.close(master)
    text = shown.decode("utf-8", errors="replace")
    assert process.returncode == 0, text
    assert "Writing pages" in text and ("page/s" in text or "s/page" in text) and "Wrote " in text


def test_a_long_query_page_shows_its_first_rows_and_says_so(
    bundled_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.pages.site as site

    whole = site_pages(bundled_store)["queries/timeline.html"]
    rows = whole.count("<tr>") - 1  # the header row
    assert rows > 3 and f"{rows} rows" in whole
    monkeypatch.setattr(site, "QUERY_ROWS", 3)
    cut = site_pages(bundled_store)["queries/timeline.html"]
    assert cut.count("<tr>") - 1 == 3
    assert f"The first 3 of {rows} rows; <code>kg query timeline</code> gives them all." in cut


# ---------------------------------------------------------------- the output folder (seen and left by stop 9)


def _siblings(folder: Path) -> list[str]:
    """What the run left beside `folder`: hidden work folders named after it."""
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


def _kg_site(store: Path, out: Path, *extra: str, **popen: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KG, "--store", str(store), "site", str(out), *extra],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
        **popen,
    )


def test_a_rebuild_leaves_nothing_of_a_bigger_earlier_site(
    bundled_store: Store, mini_store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    write_site(bundled_store, out, page_size=25)
    assert len(list((out / "list").glob("*.html"))) > 3 and (out / ".kg-site").is_file()
    small = write_site(mini_store, out)
    fresh = tmp_path / "fresh"
    write_site(mini_store, fresh)
    # exactly the small site, byte for byte: no list or entity page of the bigger one stays
    assert tree_digest(out) == tree_digest(fresh)
    assert list((out / "list").iterdir()) == []
    assert small.files == sum(1 for p in out.rglob("*") if p.is_file())
    assert _siblings(out) == []


def test_a_folder_that_is_not_a_kg_site_is_refused_untouched(bundled_store_path: Path, tmp_path: Path) -> None:
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "index.html").write_text("my own page", encoding="utf-8")
    before = tree_digest(mine)
    refused = _kg_site(bundled_store_path, mine)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "not a kg site" in refused.stderr and str(mine) in refused.stderr
    assert tree_digest(mine) == before and _siblings(mine) == []
    a_file = tmp_path / "site.html"
    a_file.write_text("x", encoding="utf-8")
    refused = _kg_site(bundled_store_path, a_file)
    assert refused.returncode == 2 and "not a folder" in refused.stderr and a_file.read_text() == "x"
    empty = tmp_path / "empty"
    empty.mkdir()
    written = _kg_site(bundled_store_path, empty)
    assert written.returncode == 0, written.stderr
    assert (empty / "index.html").is_file() and (empty / ".kg-site").is_file() and _siblings(empty) == []


def test_a_site_holding_what_kg_did_not_write_is_refused_untouched(mini_store: Store, tmp_path: Path) -> None:
    """A store built inside a site folder, or a .git folder and CNAME of a published site, are not
    kg's to delete with the old site (review of session 10): refused, one line, nothing changed."""
    out = tmp_path / "site"
    write_site(mini_store, out)
    assert (out / ".kg-site").read_text(encoding="utf-8").splitlines()[1:] == sorted(
        entry for entry in os.listdir(out) if entry != ".kg-site"
    )
    build(out / "store", [MINI], only=True)
    (out / ".git").mkdir()
    (out / "CNAME").write_text("kg.example.org\n", encoding="utf-8")
    before = tree_digest(out)
    refused = _kg_site(out / "store", out)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert ".git, CNAME, store" in refused.stderr and "kg site did not write" in refused.stderr
    assert tree_digest(out) == before and _siblings(out) == []
    for extra in (".git", "CNAME"):
        shutil.rmtree(out / extra) if (out / extra).is_dir() else (out / extra).unlink()
    shutil.move(out / "store", tmp_path / "store")
    again = _kg_site(tmp_path / "store", out)
    assert again.returncode == 0, again.stderr


def _file_size_limit(limit: int) -> Any:
    def apply() -> None:  # in the child: a file may not grow past `limit` bytes (EFBIG; Python ignores SIGXFSZ)
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    return apply


def test_a_write_failing_half_way_leaves_the_previous_site_byte_identical(tmp_path: Path) -> None:
    """A real failure: one entity page is larger than the process may write (RLIMIT_FSIZE), so the
    write fails after the assets, index and list pages of the new site were written."""
    huge = tmp_path / "huge.trig"
    alias = "a very long alias " * 60_000  # ~1 MB: that entity's page is larger than every other file
    huge.write_text(
        "@prefix kg: <https://w3id.org/kg-diplomacy/ontology#> .\n"
        "@prefix kgr: <https://w3id.org/kg-diplomacy/resource/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://example.org/test-evidence/q1> { kgr:long-named a kg:Person ; "
        f'rdfs:label "Long Named"@en ; skos:altLabel "{alias}"@en . }}\n',
        encoding="utf-8",
    )
    store = tmp_path / "store"
    build(store, [MINI, huge], only=True)
    out = tmp_path / "site"
    first = _kg_site(store, out)
    assert first.returncode == 0, first.stderr
    (out / "list" / "2.html").write_text("a page of an earlier, bigger site", encoding="utf-8")
    before = tree_digest(out)
    largest = max(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert largest == (out / "entities" / "long-named.html").stat().st_size > 1_000_000
    vis = (out / "assets" / "vis-network.min.js").stat().st_size
    failed = _kg_site(store, out, preexec_fn=_file_size_limit((vis + largest) // 2))
    assert failed.returncode == 2, failed.stderr
    assert failed.stderr.startswith("Error: ") and "cannot write" in failed.stderr
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr
    assert tree_digest(out) == before  # the earlier site, byte for byte (its stray page included)
    assert _siblings(out) == []  # the half-written site is gone


def test_a_killed_run_leaves_the_previous_site_and_the_next_run_tidies_up(
    bundled_store_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    assert _kg_site(bundled_store_path, out).returncode == 0
    before = tree_digest(out)
    process = subprocess.Popen(
        [*KG, "--store", str(bundled_store_path), "site", str(out), "-j", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(),
    )
    deadline = time.monotonic() + 120
    work: list[Path] = []
    while time.monotonic() < deadline and process.poll() is None:  # kill it once it wrote entity pages
        work = [tmp_path / name for name in _siblings(out)]
        if work and len(list((work[0] / "entities").glob("*.html"))) >= 20:
            break
        time.sleep(0.01)
    process.kill()
    process.wait(timeout=60)
    assert work and process.returncode == -9, "the run ended before it could be killed half-way"
    assert tree_digest(out) == before
    assert _siblings(out) == [work[0].name]  # a killed process cannot tidy up
    again = _kg_site(bundled_store_path, out)
    assert again.returncode == 0, again.stderr
    assert _siblings(out) == [] and tree_digest(out) == before  # same store, same site


def test_the_swap_without_an_atomic_exchange_and_a_site_moved_aside_by_a_kill(
    mini_store: Store, bundled_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the system cannot exchange two folders in one step, two renames; a run killed between
    them leaves the old site beside the target, and the next run puts it back before anything else."""
    from kg.pages import site_folder

    out = tmp_path / "site"
    write_site(mini_store, out)
    monkeypatch.setattr(site_folder, "_exchange", lambda first, second: False)
    write_site(bundled_store, out)
    fresh = tmp_path / "fresh"
    write_site(bundled_store, fresh)
    assert tree_digest(out) == tree_digest(fresh) and _siblings(out) == []
    before = tree_digest(out)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    aside = tmp_path / f".site.kg-site-old-{int(dead.stdout)}-0123abcd"
    out.rename(aside)  # as if killed between the two renames
    with pytest.raises(RuntimeError), site_folder.replacing(out):
        raise RuntimeError("the new site failed")
    assert tree_digest(out) == before and _siblings(out) == []


# ---------------------------------------------------------------- search-index.js in any JavaScript engine

SEPARATORS = (
    "Line\u2028separator and paragraph\u2029separator "
    "</script><script>window.__xss=9;document.title='pwned'</script> <!-- x"
)


def test_search_index_escapes_separators_and_script_ends(
    chromium: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """U+2028/U+2029 are valid in JSON but end a JavaScript string literal before ES2019; `</script`
    and `<!--` end or open markup where the index is pasted inline. None appears raw; the label
    comes back whole, the search finds it, and nothing runs, from the file or pasted into a page."""
    folder = tmp_path_factory.mktemp("separators")
    extra = folder / "separators.trig"
    extra.write_text(
        "@prefix kg: <https://w3id.org/kg-diplomacy/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f"<https://example.org/xss/q-img> {{ <https://example.org/xss/lines> a kg:Person ; "
        f"rdfs:label {json.dumps(SEPARATORS)}@en . }}\n",
        encoding="utf-8",
    )
    build(folder / "store", [DATA / "xss.trig", extra], only=True)
    site = folder / "site"
    write_site(open_store(folder / "store"), site, page_size=2)
    script = (site / "search-index.js").read_text(encoding="utf-8")
    assert not {"\u2028", "\u2029", "<", ">"} & set(script)
    rows = json.loads(script.removeprefix("window.kgSearchIndex = ").rstrip().rstrip(";"))
    assert [row[1] for row in rows if row[0] == SEPARATORS] == ["entities/lines.html"]
    for page in [site / "index.html", *sorted((site / "list").glob("*.html"))]:
        hits = chromium.search(page, "line separator paragraph")
        assert [text for text, _ in hits] == [SEPARATORS]
        assert hits[0][1].endswith("entities/lines.html")
        assert chromium.inert()
    pasted = site / "pasted.html"  # the index inlined into a page whose policy allows inline scripts
    pasted.write_text(
        '<!doctype html><meta charset=utf-8><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; script-src 'unsafe-inline'\"><title>pasted</title>"
        f"<script>{script}</script><script>window.__found = window.kgSearchIndex.length;</script>",
        encoding="utf-8",
    )
    chromium.page.goto(pasted.as_uri())
    assert chromium.page.evaluate("window.__found") == len(rows)
    assert chromium.page.evaluate("window.kgSearchIndex.map(r => r[0])") == [row[0] for row in rows]
    assert chromium.inert() and chromium.page.title() == "pasted"
    assert chromium.errors == []


# ---------------------------------------------------------------- name lookups: the ontology read once per generation

ONTOLOGY_LABEL = (
    "@prefix kg: <https://w3id.org/kg-diplomacy/ontology#> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    '<https://w3id.org/kg-diplomacy/ontology> { kg:nationality rdfs:label "a citizen of"@en . }\n'
)


def test_what_lookups_read_of_the_ontology_is_kept_per_generation(tmp_path: Path) -> None:
    from kg import generation_cache
    from kg.storage.embedded import memory_store

    path = tmp_path / "store"
    build(path, [MINI], only=True)
    made: list[str] = []

    def make(tag: str) -> str:
        made.append(tag)
        return tag

    first, again = open_store(path), open_store(path)
    assert generation_cache.generation_key(first) == generation_cache.generation_key(again) is not None
    assert generation_cache.per_generation(first, "probe", lambda: make("a")) == "a"
    assert generation_cache.per_generation(again, "probe", lambda: make("b")) == "a"  # same generation
    build(path, [MINI], only=True)  # a new generation, same content
    assert generation_cache.per_generation(open_store(path), "probe", lambda: make("c")) == "c"
    assert generation_cache.generation_key(first) is None  # its folder was removed by the build: not kept
    assert generation_cache.per_generation(first, "probe", lambda: make("d")) == "d"
    memory = memory_store()
    assert generation_cache.generation_key(memory) is None
    assert [generation_cache.per_generation(memory, "probe", lambda: make("m")) for _ in range(2)] == ["m", "m"]
    assert made == ["a", "c", "d", "m", "m"]


def test_a_new_build_in_the_same_process_reads_its_own_ontology(tmp_path: Path) -> None:
    """describe in one process, before and after a rebuild that relabels a relation in the ontology
    graph: the second answer uses the new generation's ontology, not the first one's."""
    from click.testing import CliRunner

    from kg.cli import cli

    path = tmp_path / "store"
    build(path)
    runner = CliRunner()
    before = [runner.invoke(cli, ["--store", str(path), "describe", "President Yoon"]) for _ in range(2)]
    assert before[0].exit_code == 0, before[0].output
    assert before[0].output == before[1].output and "nationality → Republic of Korea" in before[0].output
    extra = tmp_path / "label.trig"
    extra.write_text(ONTOLOGY_LABEL, encoding="utf-8")
    build(path, [extra])
    after = runner.invoke(cli, ["--store", str(path), "describe", "President Yoon"])
    assert after.exit_code == 0, after.output
    assert "a citizen of → Republic of Korea" in after.output and "nationality →" not in after.output
