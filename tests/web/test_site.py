import pytest

from cqfriends.export.site import build_site
from tests.conftest import make_settings
from tests.factories import make_post
from tests.web.sessions import login, make_client


@pytest.fixture
def settings_(tmp_path, db_url):
    return make_settings(tmp_path, db_url)


def test_the_current_site_is_served_under_site(settings_, engine, add_posts):
    client = make_client(settings_)
    assert client.get("/site/").status_code == 303  # staff only while feeds are private
    login(client, "web1", "webteam")
    assert client.get("/site/").status_code == 404  # not built yet
    add_posts(make_post(text="First build"))
    build_site(engine=engine, settings=settings_)
    assert "First build" in client.get("/site/").text
    assert client.get("/site/assets/site.css").headers["content-type"].startswith("text/css")
    add_posts(make_post(text="Second build"))
    build_site(engine=engine, settings=settings_)
    assert "Second build" in client.get("/site/index.html").text  # the swap is seen at once


@pytest.mark.parametrize("path", ["/site/../config.yaml", "/site/%2e%2e/cqf.db",
                                  "/site/.manifest.json", "/site/nope.html"])
def test_nothing_outside_the_site_is_served(settings_, engine, add_posts, path):
    public = make_client(settings_.model_copy(update={"web": settings_.web.model_copy(
        update={"public_feeds": True})}))
    add_posts(make_post())
    build_site(engine=engine, settings=settings_)
    assert public.get(path).status_code == 404
