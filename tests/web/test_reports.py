import io

import pytest
from openpyxl import load_workbook

from tests.export.conftest import nasty_post
from tests.factories import make_post
from tests.web.sessions import login


@pytest.mark.parametrize("role, status", [("manager", 200), ("admin", 200),
                                          ("moderator", 403), ("webteam", 403)])
def test_dashboard_is_for_managers_and_admins(client, role, status):
    login(client, f"user-{role}", role)
    assert client.get("/reports", headers={"accept": "text/html"}).status_code == status


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/reports", headers={"accept": "text/html"})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_dashboard_shows_totals_charts_and_escaped_top_works(client, add_posts):
    add_posts(nasty_post(), make_post(source="douyin"))
    add_posts(make_post(), status="rejected")
    login(client, "manager1", "manager")
    html = client.get("/reports", headers={"accept": "text/html"}).text
    assert html.count("<svg") >= 4 and "Per platform" in html and "Douyin" in html
    assert "<script>window" not in html and "&lt;script&gt;" in html
    assert "cdn" not in html.lower() and "javascript:" not in html


def test_csv_and_xlsx_downloads(client, add_posts):
    add_posts(make_post(), make_post())
    login(client, "manager1", "manager")
    response = client.get("/reports/by_day.csv?since=2026-10-01&until=2026-10-31")
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM
    assert response.text.lstrip("\ufeff").splitlines()[0].startswith("day,posts,")
    assert "2026-10-03" in response.text
    old = client.get("/reports.csv?since=2026-10-01")
    assert old.status_code == 307 and old.headers["location"] == "/reports.zip?since=2026-10-01"
    response = client.get("/reports.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert book["totals"]["B2"].value == 2


@pytest.mark.parametrize("path", ["/reports/by_day.csv?since=yesterday",
                                  "/reports?until=9999-12-31", "/reports.zip?since=0001-01-01",
                                  "/reports.xlsx?until=%C2%B2"])
def test_a_bad_date_is_a_clear_400(client, path):
    login(client, "manager1", "manager")
    response = client.get(path)
    assert response.status_code == 400
    assert "since" in response.text or "until" in response.text
