"""Tables of the reporting service (its own metadata, its own migration branch)."""

from sqlalchemy import MetaData
from sqlmodel import SQLModel


class ReportingTable(SQLModel):
    metadata = MetaData()


metadata = ReportingTable.metadata
