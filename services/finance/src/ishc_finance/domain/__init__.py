"""Pure rules of the finance service (interest bands, repayment schedules, PAR30, a
fund's balance): plain functions and classes over plain data, tested in
tests/finance/unit without a database or a broker. No sqlmodel, sqlalchemy, fastapi,
redis, faststream or `ishc_platform.db` here (import-linter contract in
pyproject.toml).
"""
