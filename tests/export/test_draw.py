import pytest
import sqlalchemy as sa

from cqfriends.errors import BadInput
from cqfriends.export.draw import pick_winners, run_draw, ticket
from cqfriends.normalize.post import Author
from cqfriends.store.db import session_scope
from cqfriends.store.models import AuditEntry
from tests.conftest import make_settings
from tests.factories import make_post


def author(n: int) -> Author:
    return Author(id=f"a{n}", name=f"Friend {n}", handle=f"friend{n}")


@pytest.fixture
def entrants(add_posts):
    # 8 authors; author 0 has five approved works and still gets one entry.
    add_posts(*(make_post(author=author(0)) for _ in range(5)))
    add_posts(*(make_post(author=author(n)) for n in range(1, 8)))
    add_posts(make_post(author=author(8)), status="rejected")
    add_posts(make_post(author=author(9)), section="professional")


def draw(engine, tmp_path, db_url, **kwargs):
    settings = make_settings(tmp_path, db_url)
    rules = settings.rules.model_copy(update={"blocked_authors": ["twitter:a3",
                                                                  "twitter:@FRIEND4"]})
    settings = settings.model_copy(update={"rules": rules})
    return run_draw(engine=engine, settings=settings, **kwargs)


def test_the_draw_is_reproducible_from_the_seed_and_recorded(engine, entrants, tmp_path,
                                                              db_url):
    first = draw(engine, tmp_path, db_url, n=3, seed="cq-2026-10-31", actor="manager1")
    again = draw(engine, tmp_path, db_url, n=3, seed="cq-2026-10-31")
    other = draw(engine, tmp_path, db_url, n=8, seed="another seed")
    assert first["winners"] == again["winners"]
    assert first["entries"] == 7  # 10 authors: rejected-only and two blocked ones out
    entries = {w["entry"] for w in other["winners"]}
    assert len(entries) == 7 and not entries & {"twitter:a3", "twitter:a4", "twitter:a8"}
    expected = sorted(entries, key=lambda e: ticket("cq-2026-10-31", e))[:3]
    assert [w["entry"] for w in first["winners"]] == expected
    with session_scope(engine) as session:
        audits = session.execute(sa.select(AuditEntry).where(AuditEntry.action == "draw")
                                 .order_by(AuditEntry.id)).scalars().all()
        assert len(audits) == 3 and audits[0].actor == "manager1"
        assert audits[0].detail["seed"] == "cq-2026-10-31"
        assert audits[0].detail["winners"] == first["winners"]


def test_a_section_limits_the_draw(engine, entrants, tmp_path, db_url):
    result = draw(engine, tmp_path, db_url, n=5, seed="s", section="professional")
    assert [w["entry"] for w in result["winners"]] == ["twitter:a9"]


def test_one_entry_per_author_is_fair():
    entries = [f"twitter:{i}" for i in range(20)]
    wins = {e: 0 for e in entries}
    for seed in range(4000):
        for w in pick_winners(entries + entries[:1] * 5, 2, str(seed)):  # duplicates ignored
            wins[w] += 1
    assert min(wins.values()) > 300 and max(wins.values()) < 500  # expected 400 each


@pytest.mark.parametrize("kwargs", [{"n": 0, "seed": "s"}, {"n": 1, "seed": ""},
                                    {"n": 1, "seed": "s", "section": "nope"}])
def test_bad_draw_arguments_are_refused(engine, tmp_path, db_url, kwargs):
    with pytest.raises(BadInput):
        draw(engine, tmp_path, db_url, **kwargs)
