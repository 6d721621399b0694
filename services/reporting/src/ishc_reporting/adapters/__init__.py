"""Reporting's I/O at the edges: report files, the live feed, the gauges and
the projection's per-database statements."""
