import pytest
import sqlalchemy as sa

from cqfriends.errors import Conflict, NotFound
from cqfriends.store.db import session_scope
from cqfriends.store.models import ApiToken
from cqfriends.store.tokens import check_token, create_token, hash_token, list_tokens, revoke_token


def test_tokens_are_stored_hashed_and_can_be_revoked(engine):
    with session_scope(engine) as session:
        token = create_token(session=session, name="web-team")
    with session_scope(engine) as session:
        stored = session.execute(sa.select(ApiToken.token_hash)).scalar_one()
        assert stored == hash_token(token) and token not in stored
        assert check_token(session=session, token=token).name == "web-team"
        assert check_token(session=session, token=token + "x") is None
        assert check_token(session=session, token="") is None
    with session_scope(engine) as session:
        revoke_token(session=session, name="web-team")
    with session_scope(engine) as session:
        assert check_token(session=session, token=token) is None
        assert [t.name for t in list_tokens(session=session)] == ["web-team"]


def test_names_are_unique_and_unknown_names_are_reported(engine):
    with session_scope(engine) as session:
        create_token(session=session, name="mirror")
        with pytest.raises(Conflict):
            create_token(session=session, name="mirror")
        with pytest.raises(NotFound):
            revoke_token(session=session, name="nobody")
