"""The bottom layer: the frozen IR, spans, diagnostics and the queries every phase shares."""
