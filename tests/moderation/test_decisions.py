"""Decisions: rules, conflicts, override, takedown, undo, bulk, and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cqfriends.errors import BadInput, Conflict, Forbidden, NotFound
from cqfriends.moderation.decisions import Decision, decide, decide_many, undo_last
from cqfriends.moderation.queue import claim_batch
from cqfriends.store.audit import AuditFilter, audit_csv_row, list_audit
from cqfriends.store.db import session_scope
from cqfriends.store.posts import get_post
from cqfriends.store.users import create_user, find_user
from tests.conftest import make_settings
from tests.factories import make_post
from tests.moderation.test_queue import add_pending, set_values
from tests.web.sessions import fast_passwords  # noqa: F401


@pytest.fixture
def settings(tmp_path, db_url):
    return make_settings(tmp_path, db_url)


@pytest.fixture
def users(engine):
    for name, role in (("li", "moderator"), ("anna", "moderator"), ("root", "admin"),
                       ("mgr", "manager")):
        create_user(engine=engine, username=name, role=role, password="long-enough")
    return {name: find_user(engine=engine, username=name) for name in ("li", "anna", "root", "mgr")}


def approve(section="mobile", **kw):
    return Decision("approve", section=section, **kw)


def test_approve_records_state_and_audit(engine, settings, users):
    (key,) = add_pending(engine, [make_post()])
    post = decide(engine=engine, settings=settings, key=key, user=users["li"],
                  decision=approve(feature=True, note="lovely light"))
    assert (post.status, post.section, post.featured, post.decided_by) == (
        "approved", "mobile", True, "li")
    assert post.version == 2 and post.changed_at is not None and post.claimed_by is None
    with session_scope(engine) as session:
        (entry,) = list_audit(session=session)
    assert (entry.actor, entry.action, entry.post_key, entry.section) == ("li", "approve", key,
                                                                          "mobile")
    assert (entry.previous_status, entry.new_status) == ("pending", "approved")
    assert audit_csv_row(entry)[1:5] == ["li", "approve", key, "mobile"]


@pytest.mark.parametrize("decision, user, error", [
    (approve(section="posters"), "li", BadInput),
    (Decision("reject", reason="ugly"), "li", BadInput),
    (Decision("takedown", reason="author-request"), "li", Forbidden),
    (approve(override=True), "li", Forbidden),
    (approve(), "mgr", Forbidden),
    (Decision("feature"), "li", Conflict),  # only approved posts are featured
])
def test_refused_decisions(engine, settings, users, decision, user, error):
    (key,) = add_pending(engine, [make_post()])
    with pytest.raises(error):
        decide(engine=engine, settings=settings, key=key, decision=decision, user=users[user])


def test_unknown_post(engine, settings, users):
    with pytest.raises(NotFound):
        decide(engine=engine, settings=settings, key="twitter:0", decision=approve(),
               user=users["li"])


def test_someone_elses_decision_conflicts_unless_admin_overrides(engine, settings, users):
    (key,) = add_pending(engine, [make_post()])
    decide(engine=engine, settings=settings, key=key, decision=approve(), user=users["li"])
    with pytest.raises(Conflict, match="approved by li"):
        decide(engine=engine, settings=settings, key=key, user=users["anna"],
               decision=Decision("reject", reason="spam"))
    post = decide(engine=engine, settings=settings, key=key, user=users["root"],
                  decision=Decision("reject", reason="spam", override=True))
    assert post.status == "rejected" and post.decided_by == "root"


def test_live_claim_of_another_conflicts(engine, settings, users):
    (key,) = add_pending(engine, [make_post()])
    claim_batch(engine=engine, settings=settings, user="li")
    with pytest.raises(Conflict, match="claimed by li"):
        decide(engine=engine, settings=settings, key=key, decision=approve(), user=users["anna"])
    set_values(engine, key, claimed_until=datetime.now(UTC) - timedelta(minutes=1))
    assert decide(engine=engine, settings=settings, key=key, decision=approve(),
                  user=users["anna"]).decided_by == "anna"


def test_stale_version_refused(engine, settings, users):
    (key,) = add_pending(engine, [make_post()])
    set_values(engine, key, version=5)
    with pytest.raises(Conflict, match="changed since you opened it"):
        decide(engine=engine, settings=settings, key=key, decision=approve(version=4),
               user=users["li"])


def test_takedown_and_feature(engine, settings, users):
    (key,) = add_pending(engine, [make_post()])
    decide(engine=engine, settings=settings, key=key, decision=approve(), user=users["li"])
    assert decide(engine=engine, settings=settings, key=key, decision=Decision("feature"),
                  user=users["anna"]).featured
    post = decide(engine=engine, settings=settings, key=key, user=users["root"],
                  decision=Decision("takedown", reason="author-request"))
    assert (post.status, post.featured, post.reason) == ("removed", False, "author-request")
    with pytest.raises(Conflict):
        decide(engine=engine, settings=settings, key=key, user=users["root"],
               decision=Decision("takedown", reason="again"))


def test_undo_restores_and_reclaims(engine, settings, users):
    (key,) = add_pending(engine, [make_post()])
    decide(engine=engine, settings=settings, key=key, user=users["li"],
           decision=Decision("reject", reason="spam"))
    post = undo_last(engine=engine, settings=settings, user=users["li"])
    assert (post.status, post.reason, post.decided_by, post.claimed_by) == (
        "pending", None, None, "li")
    with pytest.raises(NotFound):  # one level of undo
        undo_last(engine=engine, settings=settings, user=users["li"])
    with session_scope(engine) as session:
        actions = [e.action for e in list_audit(session=session, where=AuditFilter(actor="li"))]
    assert actions == ["undo", "reject"]


def test_undo_refused_after_someone_else_changed_it(engine, settings, users):
    (key,) = add_pending(engine, [make_post()])
    decide(engine=engine, settings=settings, key=key, decision=approve(), user=users["li"])
    decide(engine=engine, settings=settings, key=key, decision=Decision("feature"),
           user=users["anna"])
    with pytest.raises(Conflict, match="cannot be undone"):
        undo_last(engine=engine, settings=settings, user=users["li"])


def test_bulk_reports_each_item(engine, settings, users):
    keys = add_pending(engine, [make_post() for _ in range(3)])
    decide(engine=engine, settings=settings, key=keys[1], decision=approve(), user=users["anna"])
    results = decide_many(engine=engine, settings=settings, user=users["li"],
                          items=[(k, None) for k in keys],
                          decision=Decision("reject", reason="off-topic"))
    assert [error is None for _, error in results] == [True, False, True]
    with session_scope(engine) as session:
        assert get_post(session=session, key=keys[2]).status == "rejected"


def test_csv_cells_cannot_start_formulas(engine, settings, users):
    (key,) = add_pending(engine, [make_post()])
    decide(engine=engine, settings=settings, key=key, user=users["li"],
           decision=Decision("reject", reason="spam", note="=HYPERLINK(\"http://x\")"))
    with session_scope(engine) as session:
        (entry,) = list_audit(session=session)
    assert audit_csv_row(entry)[-1].startswith("'=")


def test_an_approval_never_stores_a_reason(engine, settings, users):
    (key,) = add_pending(engine, [make_post()])
    decide(engine=engine, settings=settings, key=key, user=users["li"],
           decision=approve(reason="off-topic"))
    with session_scope(engine) as session:
        (entry,) = list_audit(session=session)
        assert get_post(session=session, key=key).reason is None
    assert entry.reason is None


def test_decided_posts_are_revisited_and_every_step_is_audited(engine, settings, users):
    keys = add_pending(engine, [make_post(), make_post()])
    li = users["li"]
    decide(engine=engine, settings=settings, key=keys[0], user=li,
           decision=approve(feature=True))
    post = decide(engine=engine, settings=settings, key=keys[0], user=users["anna"],
                  decision=Decision("resection", section="professional", version=2))
    assert (post.status, post.section, post.featured) == ("approved", "professional", True)
    post = decide(engine=engine, settings=settings, key=keys[0], user=li,
                  decision=Decision("requeue", version=post.version))
    assert (post.status, post.section, post.featured, post.decided_by) == (
        "pending", None, False, None)
    decide(engine=engine, settings=settings, key=keys[1], user=li,
           decision=Decision("reject", reason="spam"))
    with pytest.raises(Conflict, match="not in the queue"):  # not without saying so
        decide(engine=engine, settings=settings, key=keys[1], user=users["anna"],
               decision=approve())
    post = decide(engine=engine, settings=settings, key=keys[1], user=users["anna"],
                  decision=approve(reverse=True, version=2))
    assert (post.status, post.reason, post.section) == ("approved", None, "mobile")
    post = decide(engine=engine, settings=settings, key=keys[1], user=li,
                  decision=Decision("reject", reason="copyright", reverse=True, version=3))
    assert (post.status, post.reason) == ("rejected", "copyright")
    with session_scope(engine) as session:
        actions = [e.action for e in reversed(list_audit(session=session))]
    assert actions == ["approve", "resection", "requeue", "reject", "approve", "reject"]
    undone = undo_last(engine=engine, settings=settings, user=li)  # a reversal is undone too
    assert undone.status == "approved"


@pytest.mark.parametrize("status, decision, user, error", [
    ("pending", Decision("resection", section="mobile"), "li", Conflict),
    ("approved", Decision("resection", section="posters"), "li", BadInput),
    ("pending", Decision("requeue"), "li", Conflict),
    ("removed", Decision("requeue"), "li", Conflict),  # only an admin restores a takedown
    ("approved", approve(reverse=True), "li", BadInput),  # a reversal names the version
    ("approved", Decision("requeue"), "mgr", Forbidden),
])
def test_revisiting_refuses_what_does_not_fit(engine, settings, users, status, decision, user,
                                             error):
    (key,) = add_pending(engine, [make_post()])
    set_values(engine, key, status=status, section="mobile")
    with pytest.raises(error):
        decide(engine=engine, settings=settings, key=key, decision=decision, user=users[user])


def test_an_admin_restores_a_takedown_to_the_queue(engine, settings, users):
    (key,) = add_pending(engine, [make_post()])
    set_values(engine, key, status="removed", section="mobile")
    post = decide(engine=engine, settings=settings, key=key, user=users["root"],
                  decision=Decision("requeue"))
    assert post.status == "pending"
