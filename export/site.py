"""The static theme page: index with featured strip and sections, section pages, work pages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy.engine import Engine

from cqfriends.export.copies import Copier, folder_path, media_view, with_copies
from cqfriends.export.present import work_view
from cqfriends.export.publish import Publisher, PublishResult
from cqfriends.export.templating import (
    STATIC,
    font_files,
    get_environment,
    render,
    section_helpers,
)
from cqfriends.media.storage import open_store
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.exports import iter_approved_rows

log = logging.getLogger(__name__)
INDEX_PER_SECTION = 8
FEATURED_MAX = 12


def page_name(page: int) -> str:
    return "index.html" if page == 1 else f"page-{page}.html"


def load_works(*, engine: Engine, settings: Settings, copier: Copier | None = None
               ) -> list[dict[str, Any]]:
    """Every approved work as a view dict, newest first; ``copier`` puts the media files
    the pages show into the build (works whose files it cannot copy get a placeholder)."""
    tz = settings.campaign.tz
    keep = copier.keep if copier else (lambda items: items)
    with session_scope(engine) as session:
        works = [work_view(row, tz, [media_view(i, folder_path) for i in keep(items)])
                 for row, items in with_copies(session, iter_approved_rows(session=session))]
    works.sort(key=lambda w: (w["datetime"], w["key"]), reverse=True)
    return works


def build_site(
    *, engine: Engine, settings: Settings, out_dir: Path | str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> PublishResult:
    """Render the theme page into ``out_dir`` and publish it atomically."""
    publisher = Publisher(Path(out_dir or settings.export.site_dir))
    try:
        copier = Copier(open_store(settings), publisher.copy)
        works = load_works(engine=engine, settings=settings, copier=copier)
        _render_all(publisher, works, settings, on_progress)
    except BaseException:
        publisher.abort()
        raise
    result = publisher.commit()
    log.info("site %s: %d files, %d written, %d unchanged, %d removed", result.path,
             result.files, result.written, result.unchanged, result.removed)
    return result


def _render_all(publisher: Publisher, works: list[dict[str, Any]], settings: Settings,
                on_progress: Callable[[int], None] | None) -> None:
    sections = settings.campaign.sections
    common = {"campaign": settings.campaign.name, "sections": sections,
              "tag_line": " ".join("#" + t for t in settings.campaign.hashtags),
              "upload_url": f"{settings.web.public_url or ''}/upload"
              if settings.uploads.enabled else "",
              **section_helpers(settings.export.language)}
    by_section: dict[str, list[dict[str, Any]]] = {s.id: [] for s in sections}
    for w in works:
        if w["section"] in by_section:
            by_section[w["section"]].append(w)
    section_by_id = {s.id: s for s in sections}

    publisher.write("assets/site.css", (STATIC / "site.css").read_bytes())
    for name, data in font_files():  # Chinese renders on machines without CJK fonts
        publisher.write(f"assets/fonts/{name}", data)
    blocks = [{"id": s.id, "name": s.name, "name_zh": s.name_zh, "total": len(by_section[s.id]),
               "works": by_section[s.id][:INDEX_PER_SECTION]} for s in sections]
    featured = [w for w in works if w["featured"]][:FEATURED_MAX]
    _write(publisher, "index.html", "site/index.html", root="", featured=featured,
           section_blocks=blocks, **common)

    size = settings.export.page_size
    for s in sections:
        items = by_section[s.id]
        pages = max(1, -(-len(items) // size))
        for page in range(1, pages + 1):
            _write(publisher, f"sections/{s.id}/{page_name(page)}", "site/section.html",
                   root="../../", section=s, works=items[(page - 1) * size: page * size],
                   page=page, pages=pages, page_name=page_name, **common)
    shell = Shell(root="../../", **common)
    helpers = section_helpers(settings.export.language)
    work_body = get_environment().get_template("site/_work.html")
    for n, w in enumerate(works, 1):
        body = work_body.render(root="../../", w=w, section=section_by_id.get(w["section"] or ""),
                                **helpers)
        publisher.write(w["path"], shell.wrap(w["caption"], body).encode())
        if on_progress and n % 1000 == 0:
            on_progress(1000)


class Shell:
    """The page around a work, rendered once: 100,000 work pages then cost one small render."""

    _TITLE, _BODY = "\x02TITLE\x02", "\x02BODY\x02"

    def __init__(self, **context: Any) -> None:
        html = render("site/shell.html", title=self._TITLE, content=Markup(self._BODY), **context)
        self.head, rest = html.split(self._TITLE)
        self.middle, self.tail = rest.split(self._BODY)

    def wrap(self, title: str, body: str) -> str:
        return f"{self.head}{escape(title)}{self.middle}{body}{self.tail}"


def _write(publisher: Publisher, rel: str, template: str, **context: Any) -> None:
    publisher.write(rel, render(template, **context).encode("utf-8"))
