"""The web app's dependencies: the viewer of each kind of page, the read model, the services."""

from typing import Annotated

from fastapi import Depends

from leadflow_common.access import Role
from leadflow_common.deps import provider
from leadflow_console.api.web.session import Page, Viewer
from leadflow_console.api.web.upstream import Upstream
from leadflow_console.app.account_reads import AccountReads
from leadflow_console.app.read_model import ReadModel
from leadflow_console.deps import state_of

get_read_model = provider(state_of, lambda state: state.read_model)
get_upstream = provider(state_of, lambda state: state.upstream)
get_account_reads = provider(state_of, lambda state: state.account_reads)


ReadModelDep = Annotated[ReadModel, Depends(get_read_model)]
UpstreamDep = Annotated[Upstream, Depends(get_upstream)]
AccountReadsDep = Annotated[AccountReads, Depends(get_account_reads)]
# Each page's policy: who may open it, checked on the server for every request.
AnyoneSignedIn = Annotated[Viewer, Depends(Page())]
RepOnly = Annotated[Viewer, Depends(Page({Role.rep}))]
Analysts = Annotated[Viewer, Depends(Page({Role.admin, Role.marketer}))]
Overseers = Annotated[Viewer, Depends(Page({Role.admin, Role.manager, Role.marketer}))]
Watchers = Annotated[Viewer, Depends(Page({Role.admin, Role.manager, Role.marketer, Role.viewer}))]
LeadWorkers = Annotated[Viewer, Depends(Page({Role.admin, Role.manager, Role.marketer, Role.rep}))]
TeamLeads = Annotated[Viewer, Depends(Page({Role.admin, Role.manager}))]
AdminOnly = Annotated[Viewer, Depends(Page({Role.admin}))]
