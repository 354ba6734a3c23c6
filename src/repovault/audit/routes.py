"""`/audit/getmany` and `/audit/verify`: the trail of state-changing calls (SystemAdministrator)."""

from __future__ import annotations

from repovault.accounts.roles import ADMIN_ONLY
from repovault.api.calls import Calls, EmptyBody
from repovault.api.context import Context
from repovault.audit import service
from repovault.audit.schemas import AuditEntryOut, AuditVerification
from repovault.common.paging import PageOf, PageRequest

calls = Calls("audit")


@calls.post(
    "/audit/getmany",
    body=PageRequest,
    roles=ADMIN_ONLY,
    write=False,
    response=PageOf[AuditEntryOut],
    quick=True,
)
def getmany(ctx: Context, body: PageRequest) -> PageOf[AuditEntryOut]:
    """List the audit trail, newest first: who changed what, from where, and how it ended."""
    return service.list_entries(ctx.session, body).of(AuditEntryOut)


@calls.post("/audit/verify", roles=ADMIN_ONLY, write=False)
def verify(ctx: Context, body: EmptyBody) -> AuditVerification:
    """Check the audit trail's hash chain from its oldest entry kept to its newest."""
    found = service.verify(ctx.session)
    return AuditVerification.model_validate(found, from_attributes=True)
