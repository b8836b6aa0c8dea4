"""Defence in depth for processes that run SPARQL: a seccomp filter that refuses network sockets.

Oxigraph answers SERVICE and LOAD with HTTP requests and pyoxigraph offers no way to turn that
off. kg refuses both on the parsed query (kg.sparql_guard); in the processes that only run
queries on a local store (the endpoint's query and update workers, the one-shot `kg query`
process) this filter also makes socket() fail for every address family but AF_UNIX, so a query
the guard let through by mistake still cannot open a connection (nor resolve a name).

The filter is irreversible for the process (and its threads), so it is installed only where the
process has nothing else to do: never in a notebook kernel or a test runner; the `kg` entry point
marks the one-shot CLI process with `mark_one_shot()`.
"""

from __future__ import annotations

import errno
import socket
import sys
from typing import Any

_state = {"one_shot": False, "installed": False}


def mark_one_shot() -> None:
    """The process is the one-shot `kg` command: it may lock itself out of the network."""
    _state["one_shot"] = True


def deny_network() -> str | None:
    """Install the filter in this process; returns None on success, else why it is unavailable."""
    if _state["installed"]:
        return None
    if not sys.platform.startswith("linux"):
        return "seccomp is Linux-only"
    try:
        seccomp = _import_pyseccomp()
        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        rules.add_rule(seccomp.ERRNO(errno.EACCES), "socket", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
        rules.add_rule(seccomp.ERRNO(errno.EACCES), "socketpair", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
        rules.set_attr(seccomp.Attr.CTL_TSYNC, 1)  # every thread of the process, not just this one
        rules.load()
    except Exception as error:  # no libseccomp, or seccomp disabled: the parser guard still holds
        return f"{type(error).__name__}: {error}"
    _state["installed"] = True
    return None


def _import_pyseccomp() -> Any:
    """pyseccomp, loading libc and libseccomp by their usual sonames first: its own lookup runs
    `ldconfig -p` (ctypes.util.find_library), which costs 0.1-0.4 s of every cold `kg query`."""
    import ctypes.util

    lookup = ctypes.util.find_library
    sonames = {"c": "libc.so.6", "seccomp": "libseccomp.so.2"}
    ctypes.util.find_library = lambda name: sonames.get(name) or lookup(name)
    try:
        import pyseccomp
    except OSError:  # not those sonames here: let pyseccomp search the usual way
        sys.modules.pop("pyseccomp", None)
        ctypes.util.find_library = lookup
        import pyseccomp
    finally:
        ctypes.util.find_library = lookup
    return pyseccomp


def deny_network_if_one_shot() -> None:
    """In the one-shot CLI process only (see mark_one_shot), install the filter before a query runs."""
    if _state["one_shot"]:
        deny_network()
