"""``cqf serve`` (the web console, dashboard, feeds and API) and ``cqf users`` (its logins)."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.markup import escape

from cqfriends.cli import ConfigOption


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
    users_app = typer.Typer(help="Console users and roles.", no_args_is_help=True)
    app.add_typer(users_app, name="users")
    users_app.command("add")(users_add)
    users_app.command("list")(users_list)
    users_app.command("passwd")(users_passwd)


def serve_command(
    host: Annotated[str | None, typer.Option(help="Interface (default: web.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: web.port).")] = None,
    config: ConfigOption = None,
) -> None:
    """Serve the web app (moderation console, reports, feeds, API)."""
    import uvicorn

    from cqfriends.cli import console, load, open_database
    from cqfriends.web.app import create_app

    settings = load(config)
    open_database(settings)
    host = host or settings.web.host
    port = port or settings.web.port
    console.print(f"serving on http://{host}:{port}/ (Ctrl-C stops)", highlight=False)
    # No proxy handling in uvicorn: the app's web.trusted_proxies rule is the only one
    # (cqf run does the same), and the access log never shows a token (web/middleware.py).
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                proxy_headers=False)


def _password(env: str | None, confirm: bool = True) -> str:
    if env:
        value = os.environ.get(env)
        if not value:
            from cqfriends.errors import BadInput
            raise BadInput(f"environment variable {env} is not set")
        return value
    return typer.prompt("password", hide_input=True, confirmation_prompt=confirm)


PasswordEnv = Annotated[str | None, typer.Option(
    "--password-env", help="Read the password from this environment variable (else a prompt).")]


def users_add(name: str, role: Annotated[str, typer.Option("--role", help=(
        "admin, moderator, manager or webteam"))], password_env: PasswordEnv = None,
              config: ConfigOption = None) -> None:
    """Add a user."""
    from cqfriends.cli import console, load, open_database
    from cqfriends.store.users import create_user, validate_new_user

    settings = load(config)
    engine = open_database(settings)
    validate_new_user(name, role, "x" * 64)  # name and role before asking for a password
    create_user(engine=engine, username=name, role=role, password=_password(password_env))
    console.print(f"added {escape(name)} ({role})", highlight=False)


def users_list(config: ConfigOption = None) -> None:
    """List users and roles (tab-separated: name, role, state)."""
    from cqfriends.cli import load, open_database, term
    from cqfriends.store.users import all_users

    engine = open_database(load(config))
    for user in all_users(engine=engine):
        state = "disabled" if user.disabled else "active"
        typer.echo(f"{term(user.username)}\t{user.role}\t{state}")


def users_passwd(name: str, password_env: PasswordEnv = None, config: ConfigOption = None) -> None:
    """Set a user's password (ends their sessions)."""
    from cqfriends.cli import console, load, open_database
    from cqfriends.store.users import set_user_password

    engine = open_database(load(config))
    set_user_password(engine=engine, username=name, password=_password(password_env))
    console.print(f"password of {escape(name)} changed", highlight=False)
