"""Installed as a user installs it: a built wheel in a fresh virtualenv, run from another folder.

The wheel must carry everything cqf reads at run time (config.yaml, samples,
templates, static files, migrations) and install nothing but ``cqfriends``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_CODE = {"tests", "bench", "build", "dist"}


def declared_packages() -> set[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(pyproject["tool"]["setuptools"]["packages"])


def test_every_folder_of_code_is_a_declared_package():
    folders = {p.parent for p in ROOT.rglob("*.py")
               if not ({p.relative_to(ROOT).parts[0]} & NOT_CODE)
               and not p.relative_to(ROOT).parts[0].startswith(".")}
    names = {".".join(("cqfriends", *f.relative_to(ROOT).parts)) for f in folders}
    assert names == declared_packages()
    for folder in folders:  # a folder without __init__.py would install as half a package
        assert (folder / "__init__.py").is_file(), folder


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(out), str(ROOT)], check=True, cwd=out,
                   capture_output=True)
    [built] = out.glob("cqfriends-*.whl")
    return built


def test_the_wheel_holds_one_package_and_its_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"cqfriends"}
    for needed in ("cqfriends/config.yaml", "cqfriends/__main__.py",
                   "cqfriends/collectors/samples/twitter-search.jsonl",
                   "cqfriends/store/migrations/env.py",
                   "cqfriends/store/migrations/versions/0001_initial_schema.py",
                   "cqfriends/web/templates/base.html", "cqfriends/web/static/console.js",
                   "cqfriends/export/templates/signage.html",
                   "cqfriends/export/static/site.css", "cqfriends/export/static/signage.js",
                   "cqfriends/export/static/fonts/fonts.css",
                   "cqfriends/export/static/fonts/LICENSE-noto-sans-sc.txt",
                   "cqfriends/export/static/fonts/noto-sans-sc-100-400-normal.woff2",
                   "cqfriends/i18n/locales/zh_Hans/LC_MESSAGES/messages.po",
                   "cqfriends/web/static/favicon.svg",
                   "cqfriends/store/migrations/versions/0006_console_sessions_authors.py"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith(("cqfriends/tests/", "cqfriends/bench/"))]


def test_the_installed_wheel_runs_the_demo_from_another_folder(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    installed = subprocess.run([bin_dir / "python", "-m", "pip", "install", "--quiet",
                                "--disable-pip-version-check", str(wheel)], cwd=tmp_path,
                               capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-3000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CQF_", "PYTHON"))}

    def cqf(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(bin_dir / "cqf"), *args], cwd=work, env=env, text=True,
                              capture_output=True, timeout=300)

    help_ = cqf("--help")
    assert help_.returncode == 0 and "demo" in help_.stdout, help_.stderr
    demo = cqf("demo", "--no-serve")
    assert demo.returncode == 0, demo.stderr
    assert "demo moderator: user demo-moderator password" in demo.stdout
    assert "Traceback" not in demo.stderr
    posts = cqf("posts", "--format", "jsonl", "--config", "cqf-demo/config.yaml")
    assert posts.returncode == 0, posts.stderr
    assert len(posts.stdout.splitlines()) >= 30  # the bundled samples, checked
    assert '"status": "pending"' in posts.stdout
    chinese = subprocess.run([str(bin_dir / "python"), "-c", "from cqfriends.i18n.translate "
                              "import gettext; print(gettext('zh-Hans', 'Queue'))"],
                             cwd=work, env=env, text=True, capture_output=True)
    assert chinese.stdout.strip() == "审核队列", chinese.stderr  # the catalog is package data
    as_module = subprocess.run([str(bin_dir / "python"), "-m", "cqfriends", "--help"],
                               cwd=work, env=env, text=True, capture_output=True)
    assert as_module.returncode == 0 and "demo" in as_module.stdout
    # Nothing was written inside the installed package.
    site = next((env_dir / "lib").glob("python3*/site-packages/cqfriends"))
    assert not [p for p in site.rglob("*") if p.suffix in (".db", ".log")]
    assert not [p for p in site.iterdir() if p.name in ("site", "led", "douyin-inbox")]
