"""Pure rules of the health service (which checks are due, home-care visit frequency,
insurance coverage periods): plain functions and classes over plain data, tested in
tests/health/unit without a database or a broker. No sqlmodel, sqlalchemy, fastapi,
redis, faststream or `ishc_platform.db` here (import-linter contract in
pyproject.toml).
"""
