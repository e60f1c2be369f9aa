"""``cqf demo``: a fresh SQLite database in a folder, the bundled samples imported and
checked, and demo users, so a newcomer sees the console working within a minute."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.settings import DEFAULT_CONFIG, Settings, load_settings
from cqfriends.store.db import get_engine, migrate

log = logging.getLogger(__name__)
SAMPLES = files("cqfriends.collectors") / "samples"  # package data
DEMO_USERS = (("demo-moderator", "moderator"), ("demo-manager", "manager"),
              ("demo-admin", "admin"))
# Which importer reads each bundled sample (by the start of its file name).
SAMPLE_SOURCES = {"twitter": "twitter", "facebook": "facebook", "instagram": "facebook",
                  "douyin": "douyin"}


def check_port_free(host: str, port: int) -> None:
    """Refuse at once when the web app could not listen (another demo or server runs)."""
    import socket

    from cqfriends.errors import CqfError

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as e:
        raise CqfError(f"cannot listen on {host}:{port} ({e.strerror}): another cqf demo or "
                       f"server uses it; stop it, or pick another --port") from e


def existing_demo(folder: Path, *, reset: bool) -> None:
    """A demo already in ``folder`` is kept unless ``reset`` asks to start over."""
    from cqfriends.errors import CqfError

    if (folder / "cqfriends.db").exists() and not reset:
        config = folder / "config.yaml"
        raise CqfError(f"{folder} holds a demo already: `cqf run --config {config}` runs it "
                       f"again, `cqf demo --reset` wipes it and starts a fresh one")


def prepare_demo(folder: Path, *, claim: Callable[[Settings, Engine], Any],
                 template: Path | None = None
                 ) -> tuple[Settings, Engine, Any, list[tuple[str, str, str]]]:
    """Set up ``folder``; ``claim(settings, engine)`` returns the main job, or raises when
    a demo already runs there (it is called before the old database is removed).

    ``template`` is the config.yaml to start from (default: the bundled one); the
    demo always gets its own fresh SQLite file in ``folder``, whatever it names.
    """
    from cqfriends.jobs.ingest import import_files, run_checks_safely
    from cqfriends.store.users import create_user

    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text((template or DEFAULT_CONFIG).read_text(encoding="utf-8"),
                      encoding="utf-8")
    environ = {**os.environ,
               "CQF_DATABASE_URL": f"sqlite:///{(folder / 'cqfriends.db').resolve()}"}
    settings = load_settings(config, environ)
    engine = get_engine(settings.database.url)
    main = claim(settings, engine)  # before the old database is removed under a running demo
    database = Path(engine.url.database or "")
    for suffix in ("", "-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    engine.dispose()
    migrate(settings.database.url)
    with sample_files() as paths:
        for path in paths:
            source = SAMPLE_SOURCES[path.name.split("-")[0]]
            import_files(source, [path], engine=engine, settings=settings)  # logs its summary
    run_checks_safely(engine=engine, settings=settings)
    users = []
    for username, role in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        create_user(engine=engine, username=username, role=role, password=password)
        users.append((username, role, password))
    return settings, engine, main, users


@contextmanager
def sample_files() -> Iterator[list[Path]]:
    """The bundled sample files as paths on disk, for as long as the ``with`` lasts."""
    entries = sorted((e for e in SAMPLES.iterdir()
                      if e.is_file() and e.name.split("-")[0] in SAMPLE_SOURCES),
                     key=lambda e: e.name)
    with ExitStack() as stack:
        yield [stack.enter_context(as_file(e)) for e in entries]
