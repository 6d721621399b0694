"""Tables of the health service (its own metadata, its own migration branch).

The service also keeps the shared directory of clubs and members
(`ishc_platform.directory`), built from registry events.
"""

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from ishc_platform.directory import directory_metadata


class HealthTable(SQLModel):
    metadata = MetaData()


metadata = HealthTable.metadata
MIGRATION_BRANCHES = ("directory",)
SHARED_METADATA = (directory_metadata,)
