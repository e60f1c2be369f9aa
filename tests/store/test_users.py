"""Users: roles, password hashes, the first admin, login throttling."""

from __future__ import annotations

import pytest

from cqfriends.errors import BadInput, Conflict, NotFound
from cqfriends.store.db import session_scope
from cqfriends.store.users import (
    LoginThrottled,
    create_user,
    ensure_first_admin,
    get_user,
    set_user_password,
    verify_login,
)
from tests.web.sessions import fast_passwords  # noqa: F401


def test_first_admin_generated_once(engine):
    generated = ensure_first_admin(engine=engine, password=None)
    assert generated and len(generated) >= 12
    assert ensure_first_admin(engine=engine, password=None) is None
    assert verify_login(engine=engine, username="admin", password=generated).role == "admin"


def test_first_admin_from_given_password(engine):
    assert ensure_first_admin(engine=engine, password="s3cret-admin") is None
    assert verify_login(engine=engine, username="admin", password="s3cret-admin")


def test_password_is_hashed_not_stored(engine):
    create_user(engine=engine, username="li.wei", role="moderator", password="hotpot-2026")
    with session_scope(engine) as session:
        stored = get_user(session=session, username="li.wei").password_hash
    assert "hotpot-2026" not in stored and stored.startswith("$argon2")


@pytest.mark.parametrize("username, role, password, error", [
    ("li wei", "moderator", "longenough", BadInput),
    ("li", "boss", "longenough", BadInput),
    ("li", "moderator", "short", BadInput),
])
def test_create_user_refuses_bad_input(sqlite_url, username, role, password, error):
    from cqfriends.store.db import get_engine
    with pytest.raises(error):
        create_user(engine=get_engine(sqlite_url), username=username, role=role, password=password)


def test_duplicate_user_conflicts(engine):
    create_user(engine=engine, username="anna", role="manager", password="longenough")
    with pytest.raises(Conflict):
        create_user(engine=engine, username="anna", role="manager", password="longenough")


def test_passwd_changes_login(engine):
    create_user(engine=engine, username="anna", role="manager", password="first-pass")
    set_user_password(engine=engine, username="anna", password="second-pass")
    assert verify_login(engine=engine, username="anna", password="first-pass") is None
    assert verify_login(engine=engine, username="anna", password="second-pass")
    with pytest.raises(NotFound):
        set_user_password(engine=engine, username="nobody", password="second-pass")


def test_login_throttled_after_failures_for_that_client_only(engine):
    create_user(engine=engine, username="anna", role="moderator", password="right-pass")
    for _ in range(3):
        assert verify_login(engine=engine, username="anna", password="wrong",
                            client="10.0.0.1", max_failures=3) is None
    with pytest.raises(LoginThrottled) as info:  # even the right password waits now
        verify_login(engine=engine, username="anna", password="right-pass", client="10.0.0.1",
                     max_failures=3)
    assert 0 < info.value.retry_after <= 31
    # The attacker's address does not lock the real user out from hers.
    assert verify_login(engine=engine, username="anna", password="right-pass",
                        client="10.0.0.2", max_failures=3)


def test_success_clears_failures(engine):
    create_user(engine=engine, username="anna", role="moderator", password="right-pass")
    for _ in range(2):
        verify_login(engine=engine, username="anna", password="wrong", max_failures=3)
    assert verify_login(engine=engine, username="anna", password="right-pass", max_failures=3)
    for _ in range(2):
        verify_login(engine=engine, username="anna", password="wrong", max_failures=3)
    assert verify_login(engine=engine, username="anna", password="right-pass", max_failures=3)
