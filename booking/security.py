"""Credentials: argon2 password hashes, short-lived staff tokens, booking access secrets, and the
per-client rate limit of public routes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from functools import cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_ALGORITHM = "HS256"
TOKEN_ISSUER = "repairlens"
TOKEN_AUDIENCE = "repairlens-staff-api"
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on the phone
REFERENCE_LENGTH = 8
MIN_PASSWORD_LENGTH = 12
REFERENCE_PATTERN = re.compile(f"RL-[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}")


@cache
def _hasher() -> PasswordHasher:
    # OWASP's argon2id baseline (19 MiB, 2 passes): a sign-in costs tens of milliseconds, not
    # the hundreds that argon2-cffi's 64 MiB default takes on a busy two-core host.
    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash (unknown account) a dummy hash is checked so
    that the answer takes as long either way."""
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class StaffClaims:
    """Who is signed in, as the database says now (not as the token said when issued)."""

    staff_id: int
    role: str
    technician_id: int | None
    store_id: int | None = None  # a technician's store; None for managers (every store)


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token asserts: the account, and the credential it was issued against."""

    staff_id: int
    credential: str


def credential_fingerprint(secret: str, password_hash: str) -> str:
    """A keyed digest of the account's password hash: a token carries it, so changing the
    password revokes every token issued before."""
    return hmac.new(secret.encode(), password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def issue_token(secret: str, staff_id: int, password_hash: str, minutes: int) -> str:
    now = dt.datetime.now(dt.UTC)
    payload = {
        "sub": str(staff_id),
        "cred": credential_fingerprint(secret, password_hash),
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
        "iat": now,
        "exp": now + dt.timedelta(minutes=minutes),
    }
    return jwt.encode(payload, secret, algorithm=TOKEN_ALGORITHM)


def read_token(secret: str, token: str, max_minutes: int) -> TokenClaims | None:
    """The claims of a valid, unexpired token signed with ``secret`` by HS256 (no other
    algorithm, ``none`` included), issued for this API and living no longer than
    ``max_minutes``; None otherwise."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[TOKEN_ALGORITHM],
            issuer=TOKEN_ISSUER,
            audience=TOKEN_AUDIENCE,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
        issued_at, expires = int(payload["iat"]), int(payload["exp"])
        if expires - issued_at > max_minutes * 60 or issued_at > time.time() + 60:
            return None
        return TokenClaims(int(payload["sub"]), str(payload["cred"]))
    except (jwt.InvalidTokenError, KeyError, TypeError, ValueError):
        return None


def new_reference() -> str:
    """A booking reference such as ``RL-7KQ9M2XA``: random, so references are not enumerable."""
    return "RL-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def new_access_secret() -> tuple[str, str]:
    """A fresh secret and the SHA-256 hex digest that is stored in its place."""
    secret = secrets.token_urlsafe(32)
    return secret, secret_digest(secret)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_MISSING_DIGEST = secret_digest(secrets.token_urlsafe(32))


def secret_matches(stored_digest: str | None, presented: str) -> bool:
    """Constant-time comparison; a missing booking is compared against a random digest so it
    costs the same as a wrong secret."""
    expected = stored_digest or _MISSING_DIGEST
    return hmac.compare_digest(expected, secret_digest(presented)) and stored_digest is not None


def split_access_token(token: str) -> tuple[str, str] | None:
    """``RL-XXXXXXXX.<secret>`` → (reference, secret); None when it has not that shape."""
    reference, dot, secret = token.partition(".")
    if not dot or not REFERENCE_PATTERN.fullmatch(reference):
        return None
    return reference, secret


class RateLimiter:
    """Fixed one-minute windows per client key, in process memory (each API worker counts its
    own clients; behind several workers the effective limit is per worker)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._window = 0
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int | None:
        """None when the request may proceed, else seconds until the window resets."""
        if self.per_minute <= 0:
            return None
        now = time.monotonic()
        window = int(now // 60)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        if count <= self.per_minute:
            return None
        return max(1, int(60 - now % 60))
