"""``cqf serve``: the web console, dashboard, feeds and API under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import ConfigOption


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)


def serve_command(
    host: Annotated[str | None, typer.Option(help="Interface (default: web.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: web.port).")] = None,
    config: ConfigOption = None,
) -> None:
    """Serve the web app (moderation console, reports, feeds, API)."""
    import uvicorn

    from cli import console, load, open_database
    from web.app import create_app

    settings = load(config)
    open_database(settings)
    host = host or settings.web.host
    port = port or settings.web.port
    console.print(f"serving on http://{host}:{port}/ (Ctrl-C stops)", highlight=False)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                proxy_headers=False)
