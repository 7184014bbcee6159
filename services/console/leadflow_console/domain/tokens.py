"""The console's signing key and the access tokens it issues (EdDSA JWT, verified by every
service with the public key: `leadflow_common.credentials`)."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leadflow_common.access import Role
from leadflow_common.credentials import TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER


@dataclass(frozen=True)
class KeyPair:
    kid: str
    private_key_pem: str
    public_key_pem: str


def new_key_pair() -> KeyPair:
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(uuid.uuid4().hex, private_pem.decode(), public_pem.decode())


def issue_token(
    key: KeyPair,
    *,
    user_id: uuid.UUID,
    role: Role,
    rep_id: uuid.UUID | None,
    session_id: str,
    issued_at: datetime,
    lifetime: timedelta,
) -> str:
    claims = {
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
        "sub": str(user_id),
        "sid": session_id,
        "role": str(role),
        "rep_id": str(rep_id) if rep_id else None,
        "iat": issued_at,
        "exp": issued_at + lifetime,
    }
    return jwt.encode(claims, key.private_key_pem, algorithm=TOKEN_ALGORITHM, headers={"kid": key.kid})
