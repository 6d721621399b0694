"""Health service (port 8003): health checks and books, exercise sessions,
home-care visits and insurance; publishes on `ishc.health`. Clinical values
never leave this service."""
