"""cqfriends: collect, check, moderate and export hashtag-campaign posts.

The repository root is this package (``package-dir`` in pyproject.toml), so the
folders the design fixes stay where they are and every import reads
``from cqfriends.store import posts``.  Nothing is imported here: ``cqf --help``
stays fast.
"""

__version__ = "0.2.0"
