"""Domain errors. Each carries the HTTP status it means, so one handler (`http.py`) answers
every one of them as problem+json, and code below the API raises what went wrong in its own
terms without knowing about HTTP (Polar's PolarError pattern). Pure: no I/O, no web framework."""

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    """One field at fault, named as the client sent it (`leads[3].email`)."""

    name: str = Field(description="The field as the client sent it, e.g. `leads[3].email`")
    message: str


class LeadflowError(Exception):
    # Set by each class; an answer built at run time (http.Problem, the console's upstream
    # refusals) sets its own on the instance.
    status: int = 500
    title: str = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        fields: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail or self.title)
        self.detail = detail
        self.fields = fields
        self.headers = headers


class NotFound(LeadflowError):
    status, title = 404, "Not found"


class Conflict(LeadflowError):
    status, title = 409, "Conflict"


class PreconditionFailed(LeadflowError):
    """An `If-Match` that no longer holds: the document changed since the version it names."""

    status, title = 412, "Precondition failed"


class Invalid(LeadflowError):
    status, title = 422, "Validation failed"

    @classmethod
    def field(cls, name: str, message: str, detail: str = "The request has an invalid field") -> "Invalid":
        return cls(detail, fields=[FieldError(name=name, message=message)])


class Unavailable(LeadflowError):
    """Not now: the client should try again after `retry_after` seconds (nothing was stored)."""

    status, title = 503, "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5):
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class Unauthenticated(LeadflowError):
    status, title = 401, "Unauthorized"

    def __init__(self, detail: str = "A valid API key or access token is required"):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class UnknownCredential(Unauthenticated):
    """Refused by a copy of the credentials that may be behind (a key it does not know, a token
    signed by a key it does not know): the same answer, unless a current copy knows better."""


class Forbidden(LeadflowError):
    """The caller is known but may not do this. For a rep, the same answer whether or not the
    thing exists, so nobody learns of another rep's leads by asking."""

    status, title = 403, "Forbidden"
