"""Staff authentication and authorisation, checked on every staff route of the app's route table:
no token, a bad or forged token, a revoked account, the wrong role, another store."""

from __future__ import annotations

import datetime as dt
import re
import warnings

import jwt
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import update
from sqlalchemy.orm import Session

from booking.security import TOKEN_AUDIENCE, credential_fingerprint, hash_password, issue_token
from ops.schema import StaffAccount, Technician
from tests.booking.conftest import TOKEN_SECRET, build_app, password_hash, sign_in
from tests.factories import insert, store_row, technician_row

STAFF = "/api/v1/staff"
# Every staff route and the roles it admits. A new staff route fails the census below until it
# is added here, so nobody ships one without deciding who may call it.
ROLES = {
    ("GET", f"{STAFF}/stores/{{store_code}}/bookings"): {"technician", "manager"},
    ("POST", f"{STAFF}/bookings/{{reference}}/check-in"): {"technician", "manager"},
    ("GET", f"{STAFF}/repairs/{{repair_id}}"): {"technician", "manager"},
    ("PUT", f"{STAFF}/repairs/{{repair_id}}/technician"): {"manager"},
    ("POST", f"{STAFF}/repairs/{{repair_id}}/status"): {"technician", "manager"},
    ("POST", f"{STAFF}/repairs/{{repair_id}}/parts"): {"technician", "manager"},
    ("POST", f"{STAFF}/repairs/{{repair_id}}/payments"): {"technician", "manager"},
    ("POST", f"{STAFF}/repairs/{{repair_id}}/collect"): {"technician", "manager"},
}
PATH_VALUES = {"store_code": "S01", "reference": "RL-AAAAAAAA", "repair_id": "1"}


def _staff_routes(app) -> list[tuple[str, str]]:
    """(method, path template) of every route of the app (included routers flattened) that
    names staff anywhere in its path, except the sign-in itself."""
    return sorted(
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if "staff" in route.path and route.path != f"{STAFF}/token"
        for method in route.methods or ()
    )


def _call(client, method: str, template: str, headers: dict):
    path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], template)
    headers = headers | {"Idempotency-Key": "key-" + "k" * 8}
    return client.request(method, path, params={"day": "2030-01-08"}, json={}, headers=headers)


def _forged(**claims) -> str:
    now = dt.datetime.now(dt.UTC)
    payload = {
        "sub": "1",
        "cred": credential_fingerprint(TOKEN_SECRET, password_hash()),
        "iss": "repairlens",
        "aud": TOKEN_AUDIENCE,
        "iat": now,
        "exp": now + dt.timedelta(minutes=5),
    } | claims
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, TOKEN_SECRET, "HS256")


def _resigned(algorithm: str) -> str:
    """A valid token's claims signed with the right key by another algorithm."""
    claims = jwt.decode(_forged(), TOKEN_SECRET, ["HS256"], audience=TOKEN_AUDIENCE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the key is short for HS512, which is beside the point
        return jwt.encode(claims, TOKEN_SECRET, algorithm)


def test_every_staff_route_is_listed_with_the_roles_it_admits(shop):
    assert set(_staff_routes(build_app(shop.settings))) == set(ROLES)


def test_every_staff_route_refuses_a_request_without_a_token(client):
    for method, template in _staff_routes(client.app):
        response = _call(client, method, template, {})
        assert response.status_code == 401, (method, template)
        assert response.headers["www-authenticate"] == "Bearer"


BAD_TOKENS = {
    "garbage": "not-a-token",
    "another key": jwt.encode({"sub": "1"}, "another-signing-key-" + "x" * 32, "HS256"),
    "unsigned": jwt.encode(
        {"sub": "1", "iss": "repairlens", "aud": TOKEN_AUDIENCE}, None, algorithm="none"
    ),
    "other algorithm": _resigned("HS512"),
    "expired": _forged(exp=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)),
    "other audience": _forged(aud="someone-else"),
    "other issuer": _forged(iss="someone-else"),
    "no expiry": _forged(exp=None),
    "longer than the configured lifetime": _forged(
        exp=dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    ),
    "issued against another password": _forged(cred="0" * 32),
    "unknown account": _forged(sub="999"),
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_every_staff_route_refuses_a_bad_token(client, kind):
    headers = {"Authorization": f"Bearer {BAD_TOKENS[kind]}"}
    for method, template in _staff_routes(client.app):
        assert _call(client, method, template, headers).status_code == 401, (method, template)


def test_every_manager_route_refuses_a_technician(client):
    technician = sign_in(client, "tech1@example.com")
    for method, template in _staff_routes(client.app):
        if "technician" not in ROLES[(method, template)]:
            response = _call(client, method, template, technician)
            assert response.status_code == 403, (method, template)


def test_a_well_formed_token_of_the_right_account_is_accepted(client):
    token = issue_token(TOKEN_SECRET, 1, password_hash(), minutes=15)
    response = client.get(f"{STAFF}/repairs/1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404  # past authentication: there is no repair 1 yet


def test_deactivating_an_account_revokes_its_tokens_at_once(client, shop):
    manager = sign_in(client)
    with Session(shop.engine) as session:
        session.execute(update(StaffAccount).values(is_active=False))
        session.commit()
    assert client.get(f"{STAFF}/repairs/1", headers=manager).status_code == 401


def test_changing_the_password_revokes_the_tokens_issued_before(client, shop):
    manager = sign_in(client)
    with Session(shop.engine) as session:
        session.execute(update(StaffAccount).values(password_hash=password_hash() + "x"))
        session.commit()
    assert client.get(f"{STAFF}/repairs/1", headers=manager).status_code == 401


def test_a_role_change_applies_to_tokens_already_issued(client, shop, checked_in):
    manager = sign_in(client)
    with Session(shop.engine) as session:
        session.execute(
            update(StaffAccount)
            .where(StaffAccount.email == "manager@example.com")
            .values(role="technician", technician_id=1)
        )
        session.commit()
    response = client.put(
        f"{STAFF}/repairs/{checked_in['id']}/technician",
        json={"technician_id": 1},
        headers=manager,
    )
    assert response.status_code == 403


def test_a_technician_of_another_store_can_neither_see_nor_touch_its_repairs(
    client, shop, booked, checked_in
):
    insert(shop.engine, "stores", [store_row(2)])
    insert(shop.engine, "technicians", [technician_row(2, store_id=2)])
    with Session(shop.engine) as session:
        session.add(StaffAccount(email="tech2@example.com", password_hash=password_hash(),
                                 role="technician", technician_id=2))  # fmt: skip
        session.commit()
    other = sign_in(client, "tech2@example.com")
    rid = checked_in["id"]
    refused = [
        client.get(f"{STAFF}/stores/S01/bookings?day=2030-01-08", headers=other),
        client.get(f"{STAFF}/repairs/{rid}", headers=other),
        client.post(f"{STAFF}/repairs/{rid}/collect", headers=other),
        client.post(
            f"{STAFF}/repairs/{rid}/payments",
            json={"amount_eur": "10.00", "method": "card"},
            headers=other | {"Idempotency-Key": "other-store-1"},
        ),
        client.post(
            f"{STAFF}/repairs/{rid}/parts", json={"sku": "P-0001", "quantity": 1}, headers=other
        ),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)


def test_passwords_are_hashed_with_argon2id_at_the_owasp_baseline():
    assert hash_password("a long enough password").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_technician_who_has_left_is_refused_despite_an_unexpired_token(client, shop):
    technician = sign_in(client, "tech1@example.com")
    with Session(shop.engine) as session:
        session.execute(update(Technician).values(left_on=dt.date(2022, 1, 1)))
        session.commit()
    assert client.get(f"{STAFF}/repairs/1", headers=technician).status_code == 401
