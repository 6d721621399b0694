"""Reporting service (port 8004): projections, indicators, plans, reports and
the dashboard; consumes every service's stream."""
