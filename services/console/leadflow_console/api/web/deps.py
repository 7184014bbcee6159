"""The web app's dependencies: the viewer of each kind of page, the read model, the services."""

from typing import Annotated

from fastapi import Depends, Request

from leadflow_common.access import Role
from leadflow_console.api.web.session import Page, Viewer
from leadflow_console.api.web.upstream import Upstream
from leadflow_console.app.account_reads import AccountReads
from leadflow_console.app.read_model import ReadModel
from leadflow_console.deps import state_of


async def get_read_model(request: Request) -> ReadModel:
    return state_of(request).read_model


async def get_upstream(request: Request) -> Upstream:
    return state_of(request).upstream


async def get_account_reads(request: Request) -> AccountReads:
    return state_of(request).account_reads


ReadModelDep = Annotated[ReadModel, Depends(get_read_model)]
UpstreamDep = Annotated[Upstream, Depends(get_upstream)]
AccountReadsDep = Annotated[AccountReads, Depends(get_account_reads)]
# Each page's policy: who may open it, checked on the server for every request.
AnyoneSignedIn = Annotated[Viewer, Depends(Page())]
RepOnly = Annotated[Viewer, Depends(Page({Role.rep}))]
Analysts = Annotated[Viewer, Depends(Page({Role.admin, Role.marketer}))]
Watchers = Annotated[Viewer, Depends(Page({Role.admin, Role.marketer, Role.viewer}))]
LeadWorkers = Annotated[Viewer, Depends(Page({Role.admin, Role.marketer, Role.rep}))]
AdminOnly = Annotated[Viewer, Depends(Page({Role.admin}))]
