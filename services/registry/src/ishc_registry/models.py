"""Tables of the registry service (its own metadata, its own migration branch)."""

from sqlalchemy import MetaData
from sqlmodel import SQLModel


class RegistryTable(SQLModel):
    metadata = MetaData()


metadata = RegistryTable.metadata
