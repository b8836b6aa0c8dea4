"""The analyst notebooks: stored without outputs, executed top to bottom, and drawn in a real browser.

Each notebook runs in a fresh Jupyter kernel (nbclient, kernel "python3" from this virtualenv) with
KG_STORE pointing at a temporary folder, so the user's store is never read or written: the first
notebook builds the bundled graph there, as on a fresh clone. The browser check renders the executed
linkages notebook to HTML with nbconvert and opens it in Debian's Chromium with the network blocked.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ["01-getting-started", "02-linkages", "03-time", "04-claims-and-evidence", "05-events"]
CELL_TIMEOUT = 180
# What a notebook may print on stderr: 01 shows on purpose that a bad query gives one line.
# Notebooks that build a store of their own in a temporary folder (05 imports the shared GDELT sample).
OWN_STORE = {"05-events"}
EXPECTED_STDERR = {"01-getting-started": ["kg: invalid SPARQL: line 3, column 1: "]}

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]
# nbconvert's own template links these from a CDN; blocked here, and the graphs must not need them.
NBCONVERT_CDN = (
    "https://cdnjs.cloudflare.com/ajax/libs/require.js/",
    "https://cdnjs.cloudflare.com/ajax/libs/mathjax/",
)


def test_the_notebooks_are_the_five_stories() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    for name in NAMES:
        assert f"({name}.ipynb)" in readme


@pytest.mark.parametrize("name", NAMES)
def test_stored_without_outputs(name: str) -> None:
    """The policy (notebooks/README.md): no outputs, no execution counts, valid nbformat 4."""
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=nbformat.NO_CONVERT)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4 and notebook.metadata.kernelspec.name == "python3"
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}.ipynb cell {index} has outputs; clear them before committing"
            assert cell.execution_count is None, f"{name}.ipynb cell {index} has an execution count"
        assert "attachments" not in cell or not cell.attachments


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The kernel's environment: a temporary store, IPython and Jupyter runtime folder, nothing of the
    user's; kernel specs are looked up in this virtualenv first."""
    base = tmp_path_factory.mktemp("notebooks")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_RUNTIME_DIR", str(base / "runtime"))  # connection files
        patch.setenv("JUPYTER_PREFER_ENV_PATH", "1")
        env = {key: value for key, value in os.environ.items() if key != "KG_STORE"}
        env.update(
            KG_STORE=str(base / "store"),
            IPYTHONDIR=str(base / "ipython"),
            MPLCONFIGDIR=str(base / "mpl"),
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        yield env


_executed: dict[str, tuple[Any, float]] = {}


def execute(name: str, env: dict[str, str], workdir: Path) -> tuple[Any, float]:
    """Run a notebook top to bottom in a fresh kernel (once per session); any error fails."""
    if name not in _executed:
        from nbclient import NotebookClient

        notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        client = NotebookClient(
            notebook,
            kernel_name="python3",
            timeout=CELL_TIMEOUT,
            allow_errors=False,
            resources={"metadata": {"path": str(workdir)}},
        )
        started = time.perf_counter()
        client.execute(env=env)
        _executed[name] = (notebook, time.perf_counter() - started)
    return _executed[name]


def test_kernel_is_this_python(kernel_env: dict[str, str], tmp_path: Path) -> None:
    """The "python3" kernel runs this virtualenv's interpreter and this checkout's kg."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    notebook = new_notebook(cells=[new_code_cell("import sys, kg\nprint(sys.executable)\nprint(kg.__file__)")])
    NotebookClient(
        notebook, kernel_name="python3", timeout=60, resources={"metadata": {"path": str(tmp_path)}}
    ).execute(env=kernel_env)
    executable, module = notebook.cells[0].outputs[0].text.split()
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    assert Path(module).resolve() == (ROOT / "kg" / "__init__.py").resolve()


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name: str, kernel_env: dict[str, str], tmp_path: Path) -> None:
    notebook, seconds = execute(name, kernel_env, tmp_path)
    print(f"{name}: {seconds:.1f} s")
    errors = [
        out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs if out.output_type == "error"
    ]
    assert errors == []
    stderr = [
        out.text
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "stream" and out.name == "stderr"
    ]
    expected = EXPECTED_STDERR.get(name, [])
    assert len(stderr) == len(expected), stderr
    for text, start in zip(stderr, expected, strict=True):
        assert text.startswith(start) and text.count("\n") == 1, text
    if name not in OWN_STORE:
        assert (Path(kernel_env["KG_STORE"]) / "current").exists()  # built in the temporary store


def test_linkages_notebook_draws_its_graphs(kernel_env: dict[str, str], tmp_path: Path) -> None:
    notebook, _ = execute("02-linkages", kernel_env, tmp_path)
    pages = [
        out
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "display_data" and '<iframe srcdoc="' in out.data.get("text/html", "")
    ]
    assert [p.data["text/plain"].split(":")[-1].strip() for p in pages] == [
        "36 nodes, 83 links>",
        "20 nodes, 46 links>",
    ]


def test_nbconvert_html_draws_the_graph_offline(kernel_env: dict[str, str], tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from nbconvert import HTMLExporter

    notebook, _ = execute("02-linkages", kernel_env, tmp_path)
    body, _ = HTMLExporter().from_notebook_node(notebook)
    page_file = tmp_path / "02-linkages.html"
    page_file.write_text(body, encoding="utf-8")
    # Playwright's sync API runs one event loop per thread, and other tests' browsers may hold this one.
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(check_in_chromium, page_file).result()


def check_in_chromium(page_file: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            check_page(browser, page_file)
        finally:
            browser.close()


def check_page(browser: Any, page_file: Path) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requests: list[tuple[str, bool]] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append((r.url, r.frame != page.main_frame)))
    page.on(
        "console",
        lambda m: (
            errors.append(f"{m.location.get('url')}: {m.text}")
            if m.type == "error" and not m.location.get("url", "").startswith(NBCONVERT_CDN)
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.goto(page_file.as_uri())
    page.wait_for_selector("div.kg-graph iframe", state="attached")
    handles = page.query_selector_all("div.kg-graph iframe")
    assert len(handles) == 2
    counts = []
    for handle in handles:
        handle.scroll_into_view_if_needed()
        frame = handle.content_frame()
        frame.wait_for_function("window.kgGraph && window.kgGraph.ready", timeout=60_000)
        counts.append(frame.evaluate("[network.body.data.nodes.length, network.body.data.edges.length]"))
        assert frame.evaluate("document.querySelector('#graph canvas').width") > 0
    assert counts == [[36, 83], [20, 46]]
    external = [url for url, _ in requests if not url.startswith(("file:", "data:", "blob:", "about:"))]
    assert all(url.startswith(NBCONVERT_CDN) for url in external), external  # only nbconvert's own links
    assert not any(in_frame for url, in_frame in requests if url in external)  # the graphs fetch nothing
    assert errors == []  # apart from nbconvert's CDN links failing to load
