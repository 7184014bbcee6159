"""How a service tells who is calling, without asking anyone on the request path.

Three kinds of bearer credential are accepted:
- the bootstrap key (`LEADFLOW_API_KEY`), compared in constant time: every scope;
- an API key (`lf_<id>_<secret>`), looked up by its SHA-256 among the live keys the console
  published: the scopes it was given;
- a user's access token, an EdDSA-signed JWT the console issued, verified with the console's
  public key: the scopes of the user's role, unless its session was revoked.

The console's half (live keys, public keys, revoked sessions) is a `CredentialsState` that every
service keeps a copy of (`credential_sync`), stamped with the credentials' epoch it is at least as
new as. This module judges a credential by the copy alone; `credentials_current` makes sure the
copy is current first. A refusal the copy cannot be sure of (a key it does not know may be a key
created a moment ago) is an `UnknownCredential`; every other refusal would stand with any copy.
Key uses are counted here and reported back on the next refresh.
"""

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import BaseModel

from leadflow_common.access import BOOTSTRAP, Principal, PrincipalKind, Role, Scope, user_principal
from leadflow_common.errors import Unauthenticated, Unavailable, UnknownCredential

TOKEN_ISSUER = "leadflow-console"
TOKEN_AUDIENCE = "leadflow"
KEY_PREFIX = "lf_"
# What the console issues (`lf_<id as 32 hex digits>_<secret>`): anything else is no key at all,
# refused without asking whether the copy is current.
KEY_SHAPE = re.compile(r"lf_[0-9a-f]{32}_[A-Za-z0-9_-]{20,100}")
TOKEN_ALGORITHM = "EdDSA"


class LiveKey(BaseModel):
    id: str
    sha256: str
    scopes: list[Scope]
    expires_at: datetime | None = None


class SigningKey(BaseModel):
    kid: str
    public_key_pem: str


class CredentialsState(BaseModel):
    """What the console publishes to every service: nothing in it is a secret."""

    signing_keys: list[SigningKey]
    keys: list[LiveKey]
    revoked_sessions: list[str]
    # The credentials' epoch read before the rest: the state holds every change up to it.
    epoch: int = 0


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class _Loaded:
    keys_by_digest: dict[str, LiveKey]
    public_keys: dict[str, object]
    revoked_sessions: frozenset[str]
    epoch: int


@dataclass
class CredentialStore:
    bootstrap_key: str
    _loaded: _Loaded | None = None
    # Key id → last use, reported to the console with the next refresh.
    unreported_uses: dict[str, datetime] = field(default_factory=dict)
    generation: int = 0  # how many copies were loaded: a caller tells whether it has a newer one

    def load(self, state: CredentialsState) -> None:
        signing = state.signing_keys
        public_keys = {key.kid: load_pem_public_key(key.public_key_pem.encode()) for key in signing}
        self._loaded = _Loaded(
            keys_by_digest={live.sha256: live for live in state.keys},
            public_keys=public_keys,
            revoked_sessions=frozenset(state.revoked_sessions),
            epoch=state.epoch,
        )
        self.generation += 1

    @property
    def epoch(self) -> int | None:
        """The epoch the copy is at least as new as; None before the first load."""
        return self._loaded.epoch if self._loaded is not None else None

    def has_uses(self) -> bool:
        return bool(self.unreported_uses)

    def take_uses(self) -> dict[str, datetime]:
        uses, self.unreported_uses = self.unreported_uses, {}
        return uses

    def authenticate(self, credential: str | None) -> Principal:
        """Who is calling, by this copy, counting a key's use."""
        principal = self.judge(credential)
        self.count_use(principal)
        return principal

    def count_use(self, principal: Principal) -> None:
        """A key's use, reported to the console with the next refresh (its last use)."""
        if principal.kind is PrincipalKind.key:
            self.unreported_uses[principal.id] = datetime.now(UTC)

    def judge(self, credential: str | None) -> Principal:
        """Who is calling, by this copy; counts nothing (the caller may ask a newer copy)."""
        if not credential:
            raise Unauthenticated()
        if self.bootstrap_key and hmac.compare_digest(credential.encode(), self.bootstrap_key.encode()):
            return BOOTSTRAP
        if self._loaded is None:
            # Started while the console was away: only the bootstrap key is known yet.
            raise Unavailable("Credentials are not loaded yet; try again shortly")
        if credential.startswith(KEY_PREFIX):
            return self._api_key(credential, self._loaded)
        return self._access_token(credential, self._loaded)

    def _api_key(self, credential: str, loaded: _Loaded) -> Principal:
        if not KEY_SHAPE.fullmatch(credential):
            raise Unauthenticated("The API key is unknown, revoked or expired")
        live = loaded.keys_by_digest.get(key_digest(credential))
        now = datetime.now(UTC)
        if live is None:
            raise UnknownCredential("The API key is unknown, revoked or expired")
        if live.expires_at is not None and live.expires_at <= now:
            raise Unauthenticated("The API key is unknown, revoked or expired")
        return Principal(PrincipalKind.key, live.id, frozenset(live.scopes))

    def _access_token(self, credential: str, loaded: _Loaded) -> Principal:
        try:
            kid = jwt.get_unverified_header(credential).get("kid")
            public_key = loaded.public_keys.get(kid)
            if public_key is None:
                raise UnknownCredential("The access token is not signed by a known key")
            claims = jwt.decode(
                credential,
                public_key,
                algorithms=[TOKEN_ALGORITHM],
                audience=TOKEN_AUDIENCE,
                issuer=TOKEN_ISSUER,
                options={"require": ["exp", "iat", "sub", "sid", "role"]},
            )
            role = Role(claims["role"])
            rep_id = uuid.UUID(claims["rep_id"]) if claims.get("rep_id") else None
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise Unauthenticated(f"The access token is invalid: {type(error).__name__}") from None
        if claims["sid"] in loaded.revoked_sessions:
            raise Unauthenticated("The session was ended")
        return user_principal(claims["sub"], role, rep_id=rep_id, session_id=claims["sid"])
