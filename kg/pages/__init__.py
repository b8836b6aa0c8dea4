"""HTML pages: `graph_page()` (one interactive graph page), the vis-network page writer (`render`) and
the static site (`site`)."""
