"""Checks every collected post passes before a moderator sees it: language, duplicates, rules.

``run_checks`` (runner.py) is the entry point; each check is a small function
of a post and a context that returns flags ``{code, detail}`` (see DESIGN.md).
"""
