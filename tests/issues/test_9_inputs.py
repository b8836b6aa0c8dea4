"""Issue 9, input side: crashes, hangs, local files read through data, tracebacks instead of one line.

Each test reproduces a finding of the issue ("Found" items 2 to 5) through the real `kg` command
in a subprocess, so that a crash (signal) or a hang (time limit) is seen as such.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.build import build
from tests.conftest import MINI, tree_digest

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def kg(*args: str | bytes, store: Path, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    installed = Path(sys.executable).parent / "kg"
    command = [str(installed)] if installed.exists() else [sys.executable, "-m", "kg"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    try:
        return subprocess.run(
            [*command, "--store", str(store), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"kg {' '.join(map(str, args))}: no answer in {timeout} s (hang)")


def one_line_error(done: subprocess.CompletedProcess[str], *needles: str, code: int = 2) -> str:
    assert done.returncode == code, (done.returncode, done.stderr[-600:])
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr[-1000:]
    assert "Traceback" not in done.stderr + done.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    build(path, [MINI], only=True)
    return path


def _laughs(levels: int) -> str:
    entities = ['<!ENTITY l0 "lollollollollollollollollollollollollollollollollollollollollollollollollollollol">']
    entities += [f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, levels)]
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n{chr(10).join(entities)}\n]>\n'
        f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:e="http://e/"><rdf:Description rdf:about="http://e/a">'
        f"<e:p>&l{levels - 1};</e:p></rdf:Description></rdf:RDF>\n"
    )


# -- Found 2: crashes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["build", "validate"])
@pytest.mark.parametrize("levels", [10, 8], ids=["billion-laughs", "smaller-bomb"])
def test_rdfxml_entity_bomb_is_refused_in_one_line(store: Path, tmp_path: Path, command: str, levels: int) -> None:
    """1 KB of nested entities asked for 4.8 GB (SIGABRT); a smaller bomb stored a 300 MB literal."""
    bomb = tmp_path / "lol.rdf"
    bomb.write_text(_laughs(levels))
    assert bomb.stat().st_size < 1100
    before = tree_digest(store)
    started = time.monotonic()
    done = kg(command, "--only", "lol.rdf", store=store, cwd=tmp_path)
    one_line_error(done, "lol.rdf:", "entity expansion is refused")
    assert time.monotonic() - started < 30
    assert tree_digest(store) == before


def test_short_flat_entities_of_owl_files_still_load(store: Path, tmp_path: Path) -> None:
    """What Protégé writes (`<!ENTITY owl "…">` used in attributes) is not a bomb and loads."""
    owl = tmp_path / "onto.owl"
    owl.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n  <!ENTITY e "http://e/" >\n'
        f'  <!ENTITY rdf "{RDF_NS}" >\n]>\n'
        '<rdf:RDF xmlns:rdf="&rdf;" xmlns:e="&e;"><rdf:Description rdf:about="&e;a">'
        "<e:p>fish &amp; chips</e:p></rdf:Description></rdf:RDF>\n"
    )
    done = kg("build", "--only", "--no-validate", "onto.owl", store=store, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    answer = kg(
        "query", "SELECT ?o WHERE { <http://e/a> <http://e/p> ?o }", "--format", "csv", store=store, cwd=tmp_path
    )
    assert "fish & chips" in answer.stdout


def test_deeply_nested_triple_terms_do_not_crash_the_parser(store: Path, tmp_path: Path) -> None:
    """Found while building the corpus: 100,000 nested <<( … )>> in N-Triples overflow the parser's stack."""
    depth = 100_000
    (tmp_path / "deep.nt").write_text(
        "<http://e/s> <http://e/p> "
        + "<<( <http://e/a> <http://e/p> " * depth
        + "<http://e/o>"
        + " )>>" * depth
        + " .\n"
    )
    one_line_error(kg("build", "--only", "deep.nt", store=store, cwd=tmp_path), "deep.nt:1:", "nesting deeper")


# -- Found 3: hangs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, needle",
    [
        (["build", "fifo.ttl"], "fifo.ttl: is a FIFO"),
        (["validate", "fifo.ttl"], "fifo.ttl: is a FIFO"),
        (["query", "-f", "fifo.rq"], "fifo.rq: is a FIFO"),
    ],
    ids=["build", "validate", "query-file"],
)
def test_fifo_is_refused_at_once(store: Path, tmp_path: Path, args: list[str], needle: str) -> None:
    """A FIFO given as an input blocked forever."""
    os.mkfifo(tmp_path / "fifo.ttl")
    os.mkfifo(tmp_path / "fifo.rq")
    before = tree_digest(store)
    one_line_error(kg(*args, store=store, cwd=tmp_path, timeout=30), needle)
    assert tree_digest(store) == before


def test_twenty_thousand_nested_blank_nodes_finish_at_once(store: Path, tmp_path: Path) -> None:
    """450 KB of nested blank nodes did not finish `kg build` in 60 s."""
    depth = 20_000
    (tmp_path / "deep.ttl").write_text(
        "@prefix ex: <http://example.org/> .\nex:a ex:p " + "[ ex:p " * depth + "ex:b" + " ]" * depth + " .\n"
    )
    before = tree_digest(store)
    started = time.monotonic()
    one_line_error(kg("build", "deep.ttl", store=store, cwd=tmp_path, timeout=60), "deep.ttl:2:", "nesting deeper")
    assert time.monotonic() - started < 20
    assert tree_digest(store) == before


def test_brackets_inside_strings_and_comments_are_not_nesting(store: Path, tmp_path: Path) -> None:
    data = (
        "@prefix ex: <http://example.org/> .\n# "
        + "[" * 500
        + '\nex:a ex:p "'
        + "(" * 500
        + '" , """'
        + "{\n" * 300
        + '""" , ex:b\\#c .\n'
    )
    (tmp_path / "strings.ttl").write_text(data)
    done = kg("build", "--only", "--no-validate", "strings.ttl", store=store, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


# -- Found 4: local files read through data -----------------------------------------------------------


def _with_copy(folder: Path, copy: str) -> None:
    (folder / "d.trig").write_bytes(MINI.read_bytes().replace(b'"sources/japan-rok-2023.txt"', f'"{copy}"'.encode()))


@pytest.mark.parametrize("copy", ["../../../../etc/hostname", "/etc/hostname", "/bin/ls", "/no/such/file"])
def test_local_copy_outside_the_data_folder_is_never_read(store: Path, tmp_path: Path, copy: str) -> None:
    """The answer was "Conforms" or "not a verbatim passage": an oracle for any local file's content."""
    _with_copy(tmp_path, copy)
    done = kg("validate", "--only", "d.trig", store=store, cwd=tmp_path)
    one_line_error(done, "2 violation(s)", code=1)
    assert done.stdout.count("must be a relative path inside the data's folder") == 2, done.stdout
    assert "verbatim" not in done.stdout and "not found" not in done.stdout


def test_binary_local_copy_gives_violation_lines(store: Path, tmp_path: Path) -> None:
    """A binary file as the local copy gave a UnicodeDecodeError traceback."""
    (tmp_path / "ls").symlink_to("/bin/ls")
    (tmp_path / "blob.txt").write_bytes(Path("/bin/ls").read_bytes()[:4096])
    for copy, reason in [("ls", "leads outside the data's folder"), ("blob.txt", "is a binary file")]:
        _with_copy(tmp_path, copy)
        done = kg("validate", "--only", "d.trig", store=store, cwd=tmp_path)
        one_line_error(done, "2 violation(s)", code=1)
        assert done.stdout.count(reason) == 2, done.stdout


def test_local_copy_inside_the_data_folder_is_checked(store: Path, tmp_path: Path, source_text: str) -> None:
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "essay.txt").write_text(source_text.replace("a major step", "a minor step"))
    _with_copy(tmp_path, "texts/essay.txt")
    done = kg("validate", "--only", "d.trig", store=store, cwd=tmp_path)
    one_line_error(done, "1 violation(s)", code=1)
    assert "quote is not a verbatim passage of texts/essay.txt" in done.stdout


# -- Found 5: tracebacks instead of one line -------------------------------------------------------------


def test_fifty_megabyte_literal_is_one_line(store: Path, tmp_path: Path) -> None:
    """`MemoryError: Reached the buffer maximal size`, with a traceback."""
    with open(tmp_path / "big.ttl", "w") as out:
        out.write('<http://e/a> <http://e/p> "' + "x" * (50 * 1024 * 1024) + '" .\n')
    before = tree_digest(store)
    one_line_error(kg("build", "big.ttl", store=store, cwd=tmp_path), "big.ttl:1:", "longer than 8 MB")
    assert tree_digest(store) == before


@pytest.mark.parametrize(
    "args, shown",
    [
        (["describe", "<x>"], "'<x>'"),
        (["path", "<a b>", "Yoon"], "'<a b>'"),
        (["neighbors", "<x y>"], "'<x y>'"),
        (["render", "-o", "page.html", "--focus", "<x>"], "'<x>'"),
        (["timeline", "--actor", "<x>"], "'<x>'"),
    ],
    ids=["describe", "path", "neighbors", "render", "timeline"],
)
def test_names_are_looked_up_not_turned_into_iris(store: Path, tmp_path: Path, args: list[str], shown: str) -> None:
    """`ValueError: Invalid IRI code point` tracebacks."""
    one_line_error(kg(*args, store=store, cwd=tmp_path), f"no entity is called {shown}")


def test_invalid_date_gives_violation_lines_only(store: Path, tmp_path: Path) -> None:
    """rdflib printed its warning and a traceback beside the violations."""
    (tmp_path / "d.trig").write_bytes(MINI.read_bytes().replace(b'"2023-03-16"^^xsd:date', b'"2023-02-30"^^xsd:date'))
    done = kg("validate", "--only", "d.trig", store=store, cwd=tmp_path)
    one_line_error(done, "violation(s): the data does not conform", code=1)
    assert "Failed to convert" not in done.stdout + done.stderr
    assert all(line.startswith("Violation: ") for line in done.stdout.splitlines()), done.stdout


@pytest.mark.parametrize(
    "name, shown",
    [
        ("bad\nname.ttl", "bad\\nname.ttl:2:"),
        ("\x1b[31mred.ttl", "\\x1b[31mred.ttl:2:"),
        ("\u202eevil.ttl", "\\u202eevil.ttl:2:"),
    ],
    ids=["newline", "ansi-escape", "bidi-override"],
)
def test_control_characters_in_file_names_are_escaped(store: Path, tmp_path: Path, name: str, shown: str) -> None:
    """A newline in a file name gave a two-line error; ANSI escapes reached the terminal raw."""
    (tmp_path / name).write_text("@prefix ex: <http://e/> .\nex:a ex:p .\n")
    line = one_line_error(kg("build", "--only", name, store=store, cwd=tmp_path), shown)
    assert "\x1b" not in line and "\u202e" not in line


def test_utf8_byte_order_mark_is_accepted(store: Path, tmp_path: Path) -> None:
    (tmp_path / "bom.ttl").write_bytes(b"\xef\xbb\xbf@prefix ex: <http://e/> .\nex:a ex:p ex:b .\n")
    done = kg("build", "--only", "--no-validate", "bom.ttl", store=store, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
