"""``python -m cqfriends``: the same as ``cqf``."""

from cqfriends.cli import main

main()
