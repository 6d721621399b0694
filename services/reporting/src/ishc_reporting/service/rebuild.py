"""What a rebuild takes over from the live database besides events: plans and
issued reports, which are not events (`ishc-reporting rebuild`)."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_reporting.models import IssuedReport, Plan


async def copy_non_events(source: AsyncSession, target: AsyncSession) -> None:
    """Copy every plan and issued report, as they are, in one transaction. The
    operator running the rebuild holds both databases; no token is asked."""
    for model in (Plan, IssuedReport):
        for row in (await source.exec(select(model))).all():
            await target.merge(model.model_validate(row.model_dump()))
    await target.commit()
