"""Fixtures the job tests share with other rooms' tests (re-exported, so pytest sees them)."""

from tests.export.conftest import add_posts  # noqa: F401
from tests.media.conftest import media_server  # noqa: F401
