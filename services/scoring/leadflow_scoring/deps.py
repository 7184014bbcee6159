"""Scoring's FastAPI dependencies (see leadflow_common.deps), over what main.py's lifespan puts
on `app.state`, typed: routes name what they need, providers are the only readers of the state."""

from typing import Annotated, Protocol, cast

from fastapi import Depends, FastAPI, Request

from leadflow_common.deps import provider
from leadflow_scoring.app.jobs import ScoringJobs
from leadflow_scoring.app.score_reads import ScoreReads
from leadflow_scoring.app.services import ScoringService
from leadflow_scoring.store.state import ScoringState


class ScoringAppState(Protocol):
    scoring_state: ScoringState
    scoring: ScoringService
    scoring_jobs: ScoringJobs
    score_reads: ScoreReads


def app_state(app: FastAPI) -> ScoringAppState:
    return cast(ScoringAppState, app.state)


def state_of(request: Request) -> ScoringAppState:
    return app_state(request.app)


get_scoring = provider(state_of, lambda state: state.scoring)
get_jobs = provider(state_of, lambda state: state.scoring_jobs)
get_score_reads = provider(state_of, lambda state: state.score_reads)


ScoringDep = Annotated[ScoringService, Depends(get_scoring)]
JobsDep = Annotated[ScoringJobs, Depends(get_jobs)]
ScoreReadsDep = Annotated[ScoreReads, Depends(get_score_reads)]
