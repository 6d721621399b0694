"""Tables of the finance service (its own metadata, its own migration branch).

The service also keeps the shared directory of clubs and members
(`ishc_platform.directory`), built from registry events.
"""

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from ishc_platform.directory import directory_metadata


class FinanceTable(SQLModel):
    metadata = MetaData()


metadata = FinanceTable.metadata
MIGRATION_BRANCHES = ("directory",)
SHARED_METADATA = (directory_metadata,)
