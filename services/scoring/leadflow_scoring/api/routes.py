"""Scoring's HTTP endpoints."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from leadflow_common.access import Principal, Scope, ensure_own
from leadflow_common.auth import requires
from leadflow_common.events import ModelRef, ScoreReason, Temperature
from leadflow_scoring.app.services import ScoringState
from leadflow_scoring.deps import JobsDep, ScoreReadsDep, ScoringDep
from leadflow_scoring.domain.rules import RuleSet, Thresholds

router = APIRouter(prefix="/v1")


ScoringReader = Annotated[Principal, requires(Scope.scoring_read)]
ScoringAdmin = Annotated[Principal, requires(Scope.scoring_admin)]


class ScoreChange(BaseModel):
    score: float
    previous_score: float | None
    temperature: Temperature
    cause: str
    model: ModelRef
    scored_at: datetime


class LeadScore(BaseModel):
    lead_id: uuid.UUID
    score: float
    temperature: Temperature
    reasons: list[ScoreReason]
    model: ModelRef
    scored_at: datetime
    history: list[ScoreChange] = Field(description="Changes of the score, newest first")


class RulesProblemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: Literal["rules", "learned"]
    version: int
    problem: Literal["invalid", "fails"] = Field(description="Does not validate, or raised on a lead")
    detail: str = Field(description="The fields at fault, or the error's type")
    fallback_version: int = Field(description="The rules version that scores instead")
    since: datetime


class VersionedRules(BaseModel):
    version: int = Field(description="0 is the built-in rule set")
    rules: RuleSet
    problems: list[RulesProblemOut] = Field(
        default_factory=list,
        description="What cannot score now (a stored version that does not validate, a version that"
        " fails on leads) and what scores instead; empty when healthy",
    )
    latest_version: int = Field(
        description="The newest version stored, read from the database: `version` unless that one"
        " cannot score (see `problems`), or another process saved one a moment ago. It is the"
        " ETag; a PUT whose `If-Match` names another is refused (412)"
    )


def _versioned(state: ScoringState, latest_version: int) -> VersionedRules:
    return VersionedRules(
        version=state.rules_version,
        rules=state.rules,
        problems=[RulesProblemOut.model_validate(problem) for problem in state.degraded],
        latest_version=latest_version,
    )


def _based_on(if_match: str | None) -> frozenset[int] | None:
    """The rules versions an `If-Match` names (`"7"`, or a list: `"7", "8"`); None for none or
    `*`. A weak tag (`W/"7"`) names none (If-Match compares strongly, RFC 9110), nor does
    anything else: the save is refused."""
    if if_match is None or if_match.strip() == "*":
        return None
    tags = (tag.strip() for tag in if_match.split(","))
    return frozenset(
        int(tag[1:-1])
        for tag in tags
        if 3 <= len(tag) <= 11 and tag[0] == tag[-1] == '"' and tag[1:-1].isascii() and tag[1:-1].isdigit()
    )


class RetrainResult(BaseModel):
    version: int
    adopted: bool = Field(description="Put into use: it beat the model in use on the held-out outcomes")
    metrics: dict


class BandMove(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: Temperature = Field(alias="from")
    to: Temperature
    leads: int = Field(description="How many of the recent leads move this way")
    examples: list[uuid.UUID] = Field(
        default_factory=list, description="The first ten of them, the most recently scored first"
    )


class RecentBands(BaseModel):
    leads: int = Field(description="How many recent leads the preview scored both ways")
    current: dict[Temperature, int] = Field(description="Their bands under the rules in use")
    candidate: dict[Temperature, int] = Field(description="Their bands under the candidate")
    moved: int = Field(description="How many change band")
    moves: list[BandMove]


class RulesPreview(BaseModel):
    recent: RecentBands = Field(
        description="The most recent leads' bands now and under the candidate, and the moves"
    )
    outcomes: dict = Field(description="On leads with a known outcome: AUC and conversion per band, each way")
    accounts: dict = Field(
        default_factory=dict,
        description="The most recently scored B2B accounts' bands now and under the candidate's account"
        " rules (their people as scored now), and the moves",
    )


class BandConversion(BaseModel):
    leads: int
    won: int
    conversion: float | None = Field(description="Share won; None for an empty band")


class BandsUnder(BaseModel):
    thresholds: Thresholds
    bands: dict[Temperature, BandConversion]


class ProfileBands(BaseModel):
    outcomes: int = Field(description="Leads of this profile (accounts: accounts) with a known outcome")
    current: BandsUnder
    proposed: BandsUnder
    moved: int = Field(description="Of those, how many the proposed thresholds put in another band")
    notes: list[str] = Field(description="Each threshold that could not be found from the outcomes, in words")


class ModelVersion(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    in_use: bool
    trained_at: datetime
    outcomes: int = Field(description="Outcomes received when it was trained")
    metrics: dict = Field(description="Held-out AUC, Brier score, conversion per band, calibration")


class ModelInUse(BaseModel):
    model: ModelRef
    metrics: dict | None = Field(description="Held-out metrics of the learned model in use")
    trained_at: datetime | None
    outcomes: int = Field(description="Outcomes received so far")
    conversion_by_band: dict = Field(description="Observed: outcomes by the band the lead had when it came")


@router.get(
    "/leads/{lead_id}/score",
    response_model=LeadScore,
    responses={404: {}},
    summary="A lead's score, why, and how it changed",
)
async def lead_score(
    lead_id: uuid.UUID,
    principal: Annotated[Principal, requires(Scope.leads_read)],
    scoring: ScoringDep,
    reads: ScoreReadsDep,
) -> LeadScore:
    if principal.limited_to_own(Scope.leads_read):
        ensure_own(principal, Scope.leads_read, await scoring.rep_of_lead(lead_id))
    current, history = await reads.lead_score(lead_id)
    return LeadScore(
        lead_id=lead_id,
        score=current.score,
        temperature=current.temperature,
        reasons=current.reasons,
        model=current.model,
        scored_at=current.scored_at,
        history=[ScoreChange.model_validate(step, from_attributes=True) for step in history],
    )


@router.get(
    "/scoring/rules", response_model=VersionedRules, summary="The rules in use (ETag: the newest version)"
)
async def get_rules(
    principal: ScoringReader, scoring: ScoringDep, reads: ScoreReadsDep, response: Response
) -> VersionedRules:
    versioned = _versioned(scoring.state, await reads.newest_rules_version())
    response.headers["ETag"] = f'"{versioned.latest_version}"'
    return versioned


@router.put(
    "/scoring/rules",
    response_model=VersionedRules,
    responses={412: {}, 413: {}, 422: {}},
    summary="New rules: a new version, every lead re-scored in the background; with If-Match, only"
    " if no other version was saved since the one it names",
)
async def put_rules(
    rules: RuleSet,
    principal: ScoringAdmin,
    scoring: ScoringDep,
    jobs: JobsDep,
    request: Request,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> VersionedRules:
    # Every If-Match line, as one list (RFC 9110): FastAPI's parameter holds the first only.
    lines = request.headers.getlist("if-match")
    version = await scoring.store_rules(principal, rules, _based_on(", ".join(lines) if lines else if_match))
    jobs.rescore_everyone(f"rules:{version}")
    versioned = _versioned(scoring.state, version)  # the ETag names what this save stored
    response.headers["ETag"] = f'"{version}"'
    return versioned


@router.post(
    "/scoring/rules/preview",
    response_model=RulesPreview,
    responses={413: {}, 422: {}},
    summary="What candidate rules would change (bands of recent leads; AUC and conversion on known outcomes)",
)
async def preview_rules(rules: RuleSet, principal: ScoringAdmin, scoring: ScoringDep) -> RulesPreview:
    return RulesPreview.model_validate(await scoring.preview_rules(rules))


@router.get(
    "/scoring/bands",
    response_model=dict[Literal["b2b", "b2c", "accounts"], ProfileBands],
    summary="Warm and hot thresholds per profile, and the B2B accounts' (`accounts`: each account"
    " whose people have outcomes, won when any was), proposed from observed conversion"
    " (hot: the band converts at least 60%; cold: at most 10%), with each band's conversion",
)
async def proposed_bands(principal: ScoringReader, scoring: ScoringDep) -> dict:
    return await scoring.propose_bands()


@router.post(
    "/scoring/retrain",
    response_model=RetrainResult,
    responses={409: {}},
    summary="Learn from the outcomes so far; adopt the model only if it beats the one in use",
)
async def retrain(principal: ScoringAdmin, jobs: JobsDep) -> RetrainResult:
    return RetrainResult.model_validate(await jobs.retrain(principal))


@router.get(
    "/scoring/model", response_model=ModelInUse, summary="The model in use and observed conversion per band"
)
async def model_in_use(principal: ScoringReader, scoring: ScoringDep, reads: ScoreReadsDep) -> ModelInUse:
    state = scoring.state
    evidence = await reads.model_evidence()
    return ModelInUse(
        model=state.model_ref,
        metrics=state.model_metrics,
        trained_at=state.model_trained_at,
        outcomes=evidence.outcomes,
        conversion_by_band=evidence.conversion_by_band,
    )


@router.get(
    "/scoring/models",
    response_model=list[ModelVersion],
    summary="The trained models, newest first: which is in use, and each one's held-out metrics",
)
async def trained_models(principal: ScoringReader, reads: ScoreReadsDep) -> list[ModelVersion]:
    return [ModelVersion.model_validate(row) for row in await reads.recent_models()]
