"""What the main job runs, each as a function the CLI can call too.

ingest (``cqf import``), collect (one live collector run), watch (the Douyin
watch folder), metrics (engagement refresh), exports (rebuild when changed),
status (``cqf status`` and ``/healthz``), demo (``cqf demo``).
"""
