"""Registry service (port 8001): clubs, members, boards, volunteers, meetings,
activities and imports; publishes on `ishc.registry`."""
