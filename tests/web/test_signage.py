import json
import re

from tests.export.conftest import nasty_post
from tests.factories import make_post


def test_signage_needs_a_token_which_may_ride_in_the_url(client, read_token):
    assert client.get("/signage").status_code == 401
    page = client.get(f"/signage?token={read_token}")
    assert page.status_code == 200
    assert f"/signage/playlist.json?token={read_token}" in page.text
    assert client.get(f"/signage/playlist.json?token={read_token}").status_code == 200


def test_signage_serves_featured_works_inertly(client, read_token, add_posts, archive):
    add_posts(nasty_post(), featured=True)
    add_posts(make_post(text="Not featured"))
    archive()
    html = client.get(f"/signage?token={read_token}").text
    assert "<script>window" not in html and "<img src=x" not in html
    embedded = json.loads(re.search(r'id="initial-playlist" type="application/json">(.*?)'
                                    r"</script>", html, re.S).group(1))
    assert [i["caption"][:12] for i in embedded["items"]] == ["Hotpot night"]
    playlist = client.get(f"/signage/playlist.json?token={read_token}").json()
    assert playlist["items"] == embedded["items"]
    (item,) = playlist["items"]
    assert re.fullmatch(r"/media/public/[0-9a-f]{64}/display", item["url"])
    shown = client.get(item["url"])  # a screen with a token, no login: the file is public
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
