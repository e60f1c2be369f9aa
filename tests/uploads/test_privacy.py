"""Consent and personal data across every output of a test campaign.

A social post and three uploads are approved and featured; then the theme page,
LED folder, feeds, API, signage, reports, audit, console and CLI are produced and
all of it (and every log line) is searched for the participant's e-mail and
client address.  Only the admin's post page may show them.
"""

from __future__ import annotations

import logging
import re

import pytest
from typer.testing import CliRunner

from cqfriends.cli import get_app
from cqfriends.export.led import write_led
from cqfriends.export.report_formats import TABLES
from cqfriends.export.site import build_site
from cqfriends.settings import load_settings
from cqfriends.store.db import session_scope
from cqfriends.store.exports import PostFilter, iter_approved
from cqfriends.store.models import UploadRow, utcnow
from tests.conftest import ROOT
from tests.export.conftest import make_adder, set_state
from tests.factories import make_post
from tests.media.files import jpeg
from tests.uploads.conftest import EMAIL, receipt_code, send
from tests.web.sessions import login, make_client

ADDRESS = "198.51.100.23"


@pytest.fixture
def campaign(tmp_path, db_url, monkeypatch):
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    text = text.replace("proof_of_work: true", "proof_of_work: false").replace(
        "public_feeds: false", "public_feeds: true")
    config = tmp_path / "config.yaml"
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CQF_DATABASE_URL", db_url)
    settings = load_settings(config, {"CQF_DATABASE_URL": db_url})
    client = make_client(settings, client=(ADDRESS, 40000))
    social = make_adder(client.app.state.engine)(
        make_post(text="Hotpot with friends #ChongqingFriends"), featured=True)
    set_state(client.app.state.engine, social, checked_at=utcnow())  # checked, then approved
    codes = {}
    for name, extra in (("all", {}), ("site-only", {"consent_led": None, "consent_feeds": None}),
                        ("withdrawn", {})):
        codes[name] = receipt_code(send(client, jpeg(seed=len(codes) + 5),
                                        title=f"Work {name}", **extra))
    with session_scope(client.app.state.engine) as session:
        keys = [f"upload:{u.id}" for u in session.query(UploadRow).order_by(UploadRow.id)]
    set_state(client.app.state.engine, keys, status="approved", section="mobile",
              featured=True)
    return settings, config, client, codes


def outputs(settings, config, client, tmp_path) -> dict[str, str]:
    engine = client.app.state.engine
    build_site(engine=engine, settings=settings, out_dir=tmp_path / "site-out")
    write_led(engine=engine, settings=settings, out_dir=tmp_path / "led-out")
    found = {str(p): p.read_text("utf-8", "replace") for folder in ("site-out", "led-out")
             for p in (tmp_path / folder).rglob("*") if p.is_file() and p.suffix != ".woff2"}
    paths = ["/feeds/approved.json", "/feeds/approved.atom", "/feeds/approved.csv",
             "/api/v1/posts", "/api/v1/changes", "/signage", "/signage/playlist.json",
             "/openapi.json", "/site/", "/healthz"]
    for path in paths:
        found[path] = client.get(path).text
    login(client, "mo", "moderator")
    for path in ("/moderation", "/moderation?view=approved", "/moderation/post/upload:1"):
        found["moderator " + path] = client.get(path, headers={"accept": "text/html"}).text
    login(client, "boss", "admin")
    for path in ["/reports", "/reports.csv", "/admin/audit", "/admin/audit.csv",
                 *[f"/reports/{t}.csv" for t in TABLES]]:
        found["admin " + path] = client.get(path, headers={"accept": "text/html"}).text
    runner = CliRunner()
    for args in (["posts", "--format", "jsonl"], ["report", "--format", "json"],
                 ["report", "--format", "csv"], ["audit"],
                 ["export", "feed", "--format", "csv"], ["export", "feed", "--format", "json"]):
        found["cqf " + " ".join(args)] = runner.invoke(
            get_app(), [*args, "--config", str(config)], catch_exceptions=False).output
    return found


def test_the_email_and_address_appear_in_no_output_and_no_log(campaign, tmp_path, caplog):
    settings, config, client, codes = campaign
    caplog.set_level(logging.DEBUG)
    found = outputs(settings, config, client, tmp_path)
    assert any("Work all" in text for text in found.values())
    leaks = [where for where, text in found.items() if EMAIL in text or ADDRESS in text]
    assert not leaks, f"personal data in {leaks}"
    assert EMAIL not in caplog.text and ADDRESS not in caplog.text
    admin_page = client.get("/moderation/post/upload:1", headers={"accept": "text/html"}).text
    assert EMAIL in admin_page and ADDRESS in admin_page  # admins only
    draw = CliRunner().invoke(get_app(), ["draw", "--n", "10", "--seed", "s",
                                          "--config", str(config)], catch_exceptions=False)
    assert EMAIL in draw.output  # the admin at the terminal learns how to reach winners
    audit = CliRunner().invoke(get_app(), ["audit", "--config", str(config)]).output
    assert EMAIL not in audit and "draw" in audit


def test_outputs_respect_consent_and_withdrawal(campaign, tmp_path):
    settings, config, client, codes = campaign
    page = client.get(f"/upload/receipt/{codes['withdrawn']}", headers={"accept": "text/html"})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post(f"/upload/receipt/{codes['withdrawn']}/withdraw",
                data={"csrf_token": csrf, "confirm": "yes"})
    found = outputs(settings, config, client, tmp_path)
    site = " ".join(t for w, t in found.items() if "site-out" in w)
    led = found["/signage/playlist.json"]
    feeds = found["/feeds/approved.json"] + found["/api/v1/posts"] + found["/feeds/approved.atom"]
    assert "Work all" in site and "Work site-only" in site and "Work withdrawn" not in site
    assert "Jane Doe" in site  # the credit name
    assert "Work site-only" not in led and "Work withdrawn" not in led
    with session_scope(client.app.state.engine) as session:  # what the LED playlist is made of
        on_led = {r.key for r in iter_approved(session=session, filters=PostFilter(
            featured=True, channel="led"))}
    assert {"upload:1"} <= on_led and not {"upload:2", "upload:3"} & on_led
    assert "Work all" in feeds and "Work site-only" not in feeds
    assert "Work withdrawn" not in feeds
    assert "Work site-only" not in found["/api/v1/changes"]
    assert "Hotpot" in feeds and len(on_led) == 2  # social posts are not affected
    led_file = " ".join(t for w, t in found.items() if "led-out" in w)
    assert "Work site-only" not in led_file and "Work withdrawn" not in led_file
