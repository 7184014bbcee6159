"""Scoring's HTTP endpoints."""

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from leadflow_common.events import ModelRef, ScoreReason, Temperature
from leadflow_common.http import Problem, require_api_key
from leadflow_scoring import repository
from leadflow_scoring.rules import RuleSet

router = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)], responses={401: {}})


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
    history: list[ScoreChange]


@router.get(
    "/leads/{lead_id}/score",
    response_model=LeadScore,
    responses={404: {}},
    summary="A lead's score, why, and how it changed",
)
async def lead_score(lead_id: uuid.UUID, request: Request) -> LeadScore:
    async with request.app.state.runtime.engine.connect() as connection:
        current = await repository.current_score(connection, lead_id)
        if current is None:
            raise Problem(404, "Not found", f"No score for lead {lead_id} (yet)")
        history = await repository.score_history_of(connection, lead_id)
    return LeadScore(
        lead_id=lead_id,
        score=current.score,
        temperature=Temperature(current.temperature),
        reasons=[ScoreReason.model_validate(reason) for reason in current.reasons],
        model=ModelRef.model_validate(current.model),
        scored_at=current.scored_at,
        history=[
            ScoreChange(
                score=row.score,
                previous_score=row.previous_score,
                temperature=Temperature(row.temperature),
                cause=row.cause,
                model=ModelRef.model_validate(row.model),
                scored_at=row.scored_at,
            )
            for row in history
        ],
    )


@router.get("/scoring/rules", response_model=RuleSet, summary="The rules in use")
async def get_rules(request: Request) -> RuleSet:
    return request.app.state.rules
