"""Password hashing (argon2), access tokens (JWT, HS256) and refresh token secrets."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from argon2 import Parameters, PasswordHasher, Type, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from api.config import Settings
from api.db import utcnow
from api.errors import Unauthorized

JWT_ALGORITHM = "HS256"
JWT_ISSUER = "berdaya"
JWT_AUDIENCE = "berdaya-api"
JWT_LEEWAY_SECONDS = 5
# Access tokens this process verified, with their expiry: a signed-in person's every request
# (and the rate limiter's key for it) checked the same signature again, ~45 µs of HMAC and JSON
# twice a request. Only tokens whose signature, audience, issuer and times checked out enter,
# so a forged token never does; its expiry is checked again at each use. Revocation is not
# decided here (``api.services.auth.authenticate`` asks the database each time).
VERIFIED_TOKENS_KEPT = 4096
clock = time.time  # what a kept token's expiry is compared with (PyJWT's clock; tests move it)


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says."""

    user_id: str
    session_id: str
    role: str


# argon2id. "owasp": OWASP's Password Storage Cheat Sheet parameters (19 MiB, 2 passes, 1 lane),
# the default: a sign-in then adds 19 MiB to a worker, not RFC 9106's 64 MiB, on small servers
# with several workers. Hashes made with other parameters are upgraded at the next sign-in.
PROFILES = {
    "owasp": Parameters(
        type=Type.ID,
        version=19,
        salt_len=16,
        hash_len=32,
        time_cost=2,
        memory_cost=19 * 1024,
        parallelism=1,
    ),
    "rfc9106_low_memory": profiles.RFC_9106_LOW_MEMORY,
    "cheapest": profiles.CHEAPEST,  # tests only
}


class Security:
    """Hashes passwords and issues and checks tokens, with the app's settings."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher.from_parameters(PROFILES[settings.password_hash_profile])
        self._secret = settings.secret_key
        self.access_ttl = dt.timedelta(seconds=settings.access_token_ttl_seconds)
        self.refresh_ttl = dt.timedelta(days=settings.refresh_token_ttl_days)
        # Verified against for unknown accounts, so both answers take the same time; made at the
        # first sign-in, not at start (every worker would pay the hash's memory and time).
        self._dummy: str | None = None
        self._verified: dict[str, tuple[AccessClaims, int]] = {}
        self._keeping = threading.Lock()

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify_password(self, password_hash: str | None, password: str) -> bool:
        """True when the password matches; also burns the same time for unknown accounts."""
        try:
            return self._hasher.verify(password_hash or self._dummy_hash(), password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def issue_access_token(self, *, user_id: str, session_id: str, role: str) -> str:
        now = utcnow()
        claims: dict[str, Any] = {
            "iss": JWT_ISSUER,
            "aud": JWT_AUDIENCE,
            "sub": user_id,
            "sid": session_id,
            "role": role,
            "iat": now,
            "nbf": now,
            "exp": now + self.access_ttl,
            "jti": secrets.token_urlsafe(8),
        }
        return jwt.encode(claims, self._secret, algorithm=JWT_ALGORITHM)

    def decode_access_token(self, token: str) -> AccessClaims:
        """Check signature, audience, issuer and expiry; raise Unauthorized otherwise."""
        known = self._verified.get(token)
        if known is not None:
            claims, expires = known
            if clock() < expires + JWT_LEEWAY_SECONDS:  # as PyJWT checks it
                return claims
            raise Unauthorized("token_expired")  # (it leaves with the oldest, in turn)
        checked = self._decode(token)
        with self._keeping:  # (reads take no lock: a dict's get is atomic)
            while len(self._verified) >= VERIFIED_TOKENS_KEPT:
                del self._verified[next(iter(self._verified))]  # the oldest out
            self._verified[token] = checked
        return checked[0]

    def _decode(self, token: str) -> tuple[AccessClaims, int]:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[JWT_ALGORITHM],
                audience=JWT_AUDIENCE,
                issuer=JWT_ISSUER,
                options={"require": ["exp", "iat", "sub", "sid", "aud", "iss"]},
                leeway=JWT_LEEWAY_SECONDS,
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token_expired") from None
        except jwt.PyJWTError:
            raise Unauthorized("invalid_token") from None
        if not all(isinstance(claims.get(k), str) for k in ("sub", "sid", "role")):
            raise Unauthorized("invalid_token")
        access = AccessClaims(user_id=claims["sub"], session_id=claims["sid"], role=claims["role"])
        return access, int(claims["exp"])  # as PyJWT reads it


def new_refresh_token() -> str:
    """A refresh token secret; only its hash is stored."""
    return "rt_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 of a high-entropy token (no salt or slow hash needed at 256 bits)."""
    return hashlib.sha256(token.encode()).hexdigest()
