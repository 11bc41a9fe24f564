"""Creating staff accounts (the ``repairlens staff add`` command)."""

from __future__ import annotations

import re

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from booking.security import MIN_PASSWORD_LENGTH, hash_password
from ops.schema import STAFF_ROLES, StaffAccount, Technician

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class StaffAccountError(ValueError):
    """An account that cannot be created; ``str(error)`` says why in one line."""


def add_staff_account(
    engine: Engine, email: str, role: str, password: str, technician_id: int | None = None
) -> int:
    """Create an active account with an argon2 password hash; returns its id."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise StaffAccountError(f"{email!r} is not an email address")
    if role not in STAFF_ROLES:
        raise StaffAccountError(f"unknown role {role!r}; use one of {', '.join(STAFF_ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffAccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    with Session(engine) as session:
        taken = session.scalar(
            select(StaffAccount.id).where(func.lower(StaffAccount.email) == email)
        )
        if taken is not None:
            raise StaffAccountError(f"an account for {email} exists already")
        if technician_id is not None and session.get(Technician, technician_id) is None:
            raise StaffAccountError(f"no technician has id {technician_id}")
        if role == "technician" and technician_id is None:
            raise StaffAccountError("a technician account needs --technician-id")
        account = StaffAccount(
            email=email,
            password_hash=hash_password(password),
            role=role,
            technician_id=technician_id,
            is_active=True,
        )
        session.add(account)
        session.commit()
        return account.id
