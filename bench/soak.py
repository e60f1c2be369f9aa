"""Soak: two `cqf run` on PostgreSQL, files fed into the watch folder, faults at random.

    .venv/bin/python bench/soak.py --minutes 10 [--db postgresql+psycopg://postgres@127.0.0.1/x]

For ``--minutes`` a feeder drops Douyin CSV exports into the watch folder (some
written slowly in parts, some replaced whole, some re-exporting posts already
sent, now and then one that is pure garbage), while a chaos loop, every few
seconds, terminates the leader's lock connection (``pg_terminate_backend``),
kill -9s the leader or the standby, or SIGTERMs one; a dead process is started
again.  Then the faults stop, the main job catches up, both get SIGTERM, and it
prints: posts expected / stored / duplicated / unchecked, runs left open, runs
of two processes overlapping in time, files left, slow stops and tracebacks.
The database is a fresh one on the server, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

# Not bench/ itself: its queue.py would shadow the standard library module.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import sqlalchemy as sa  # noqa: E402
import yaml  # noqa: E402

from cqfriends.store.db import get_engine, migrate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CQF = str(Path(sys.executable).parent / "cqf")
HEADER = "作品ID,作品描述,发布时间,账号昵称,点赞数量,评论数量,分享数量,播放量,作品链接"
LOCK_KEY = 0x63_71_66_01
WORDS = ["火锅", "洪崖洞", "解放碑", "磁器口", "长江索道", "李子坝", "夜景", "小面", "山城步道",
         "hotpot", "metro", "bridge", "river", "mountain", "friends", "night", "market"]


def row(n: int, rnd: random.Random) -> str:
    vid = f"7{900000000000000000 + n}"
    text = " ".join(rnd.choice(WORDS) for _ in range(8)) + f" {n} #外国人在重庆 #chongqingfriends"
    return (f"{vid},{text},2026-10-{1 + n % 28:02d} 15:20:00,作者{n % 300},{n % 97},3,1,900,"
            f"https://www.douyin.com/video/{vid}")


class Feeder:
    """Writes export files into the inbox; remembers every post id it ever wrote."""

    def __init__(self, inbox: Path, rnd: random.Random):
        self.inbox, self.rnd = inbox, rnd
        self.ids: set[int] = set()
        self.next_id = 0
        self.files = self.poison = 0

    def one(self) -> None:
        rnd = self.rnd
        if rnd.random() < 0.05:
            self._write(f"poison-{self.files}.csv", "\x00garbage\xff\n" * 50, slow=False)
            self.poison += 1
            return
        fresh = list(range(self.next_id, self.next_id + rnd.randint(50, 400)))
        self.next_id += len(fresh)
        again = rnd.sample(sorted(self.ids), min(len(self.ids), rnd.randint(0, 100)))
        ids = fresh + again
        rnd.shuffle(ids)
        text = "\n".join([HEADER, *(row(n, rnd) for n in ids)]) + "\n"
        self._write(f"export-{self.files}.csv", text, slow=rnd.random() < 0.4)
        self.ids.update(fresh)

    def _write(self, name: str, text: str, *, slow: bool) -> None:
        self.files += 1
        path = self.inbox / name
        if slow:  # a network copy: in parts, with pauses
            half = len(text) // 2
            with path.open("w", encoding="utf-8") as f:
                f.write(text[:half])
                f.flush()
                time.sleep(self.rnd.uniform(0.2, 3.0))  # now and then longer than settle
                f.write(text[half:])
            return
        part = self.inbox / f".{name}.part"
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)


class Fleet:
    """The two `cqf run` processes; restarts whichever died."""

    def __init__(self, folder: Path, url: str):
        self.folder, self.url = folder, url
        self.procs: dict[str, subprocess.Popen | None] = {"a": None, "b": None}
        self.slow_stops: list[float] = []
        self.bad_exits: list[int] = []

    def start(self, name: str) -> None:
        env = {**os.environ, "CQF_DATABASE_URL": self.url, "CQF_LOG_LEVEL": "INFO",
               "CQF_CONFIG": str(self.folder / "config.yaml")}
        port = 20000 + random.randint(0, 20000)
        self.procs[name] = subprocess.Popen(
            [CQF, "run", "--port", str(port)], cwd=self.folder, env=env,
            stdout=subprocess.DEVNULL, stderr=open(self.folder / f"{name}.log", "ab"))  # noqa: SIM115

    def revive(self) -> None:
        for name, proc in self.procs.items():
            if proc is None or proc.poll() is not None:
                self.start(name)

    def alive(self) -> list[subprocess.Popen]:
        return [p for p in self.procs.values() if p is not None and p.poll() is None]

    def sigterm(self, proc: subprocess.Popen) -> None:
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        took = time.monotonic() - sent
        if took >= 10:
            self.slow_stops.append(took)
        if code != 0:
            self.bad_exits.append(code)


def leader_pid(url: str) -> int | None:
    with get_engine(url).connect() as conn:
        holder = conn.execute(sa.text(
            "SELECT holder FROM scheduler_heartbeat WHERE name = 'scheduler'")).scalar()
    return int(holder.rpartition(":")[2]) if holder else None


def chaos(fleet: Fleet, url: str, rnd: random.Random, counts: Counter[str]) -> None:
    action = rnd.choice(["terminate-lock", "terminate-lock", "kill-leader", "kill-standby",
                         "sigterm"])
    alive = fleet.alive()
    leader = leader_pid(url)
    by_pid = {p.pid: p for p in alive}
    if action == "terminate-lock":
        with get_engine(url).connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE "
                                 f"locktype = 'advisory' AND objid = {LOCK_KEY}"))
    elif action == "kill-leader" and leader in by_pid:
        by_pid[leader].kill()
    elif action == "kill-standby":
        standby = [p for p in alive if p.pid != leader]
        if standby:
            standby[0].kill()
    elif action == "sigterm" and alive:
        fleet.sigterm(rnd.choice(alive))
    else:
        return
    counts[action] += 1


def write_config(folder: Path, heartbeat: float, settle: float) -> None:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["sources"]["douyin"].update(settle_seconds=settle, watch_folder=str(folder / "inbox"),
                                     schedule={"minutes": 0.05, "jitter_seconds": 0})
    data["scheduler"]["heartbeat_seconds"] = heartbeat
    data["export"].update(site_dir=str(folder / "site"), led_dir=str(folder / "led"))
    (folder / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                        encoding="utf-8")
    (folder / "inbox").mkdir()


def results(url: str, folder: Path, feeder: Feeder) -> dict[str, object]:
    with get_engine(url).connect() as conn:
        q = lambda sql: conn.execute(sa.text(sql)).scalar()  # noqa: E731
        runs = conn.execute(sa.text(
            "SELECT id, pid, started_at, finished_at FROM collector_run")).all()
        stored = q("SELECT count(*) FROM post WHERE source = 'douyin'")
        duplicated = q("SELECT count(*) FROM (SELECT source_id FROM post GROUP BY source_id "
                       "HAVING count(*) > 1) d")
        unchecked = q("SELECT count(*) FROM post WHERE status = 'collected'")
        open_runs = q("SELECT count(*) FROM collector_run WHERE finished_at IS NULL")
    overlaps = sum(1 for i, a in enumerate(runs) for b in runs[i + 1:]
                   if a.pid != b.pid and a.finished_at and b.finished_at
                   and a.started_at < b.finished_at and b.started_at < a.finished_at)
    logs = "".join(p.read_text(errors="replace") for p in folder.glob("*.log"))
    inbox = folder / "inbox"
    return {"expected": len(feeder.ids), "stored": stored, "duplicated": duplicated,
            "unchecked": unchecked, "runs": len(runs), "open_runs": open_runs,
            "overlaps": overlaps, "tracebacks": logs.count("Traceback"),
            "files_fed": feeder.files, "poison_fed": feeder.poison,
            "left_in_inbox": len([p for p in inbox.glob("*.csv")]),
            "done": len(list((inbox / "done").glob("*.csv"))),
            "failed": len(list((inbox / "failed").glob("*.csv")))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--db", default=os.environ.get(
        "CQF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="a PostgreSQL server URL; a fresh database is made on it and dropped")
    parser.add_argument("--heartbeat", type=float, default=2.0,
                        help="scheduler.heartbeat_seconds of both processes")
    parser.add_argument("--settle", type=float, default=2.0,
                        help="sources.douyin.settle_seconds")
    parser.add_argument("--chaos-every", type=float, default=15.0,
                        help="mean seconds between faults")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    admin = sa.create_engine(args.db, isolation_level="AUTOCOMMIT")
    name = f"cqf_soak_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(args.db).set(database=name).render_as_string(hide_password=False)
    folder = Path(tempfile.mkdtemp(prefix="cqf-soak-"))
    try:
        run_soak(args, rnd, url, folder)
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"logs in {folder}")


def run_soak(args: argparse.Namespace, rnd: random.Random, url: str, folder: Path) -> None:
    migrate(url)
    write_config(folder, args.heartbeat, args.settle)
    fleet, feeder, faults = Fleet(folder, url), Feeder(folder / "inbox", rnd), Counter[str]()
    fleet.revive()
    stop = threading.Event()

    def feed() -> None:
        while not stop.wait(rnd.uniform(1.0, 6.0)):
            feeder.one()

    feeding = threading.Thread(target=feed, daemon=True)
    feeding.start()
    end = time.monotonic() + args.minutes * 60
    while time.monotonic() < end:
        time.sleep(rnd.expovariate(1 / args.chaos_every))
        chaos(fleet, url, rnd, faults)
        time.sleep(rnd.uniform(0, 3))
        fleet.revive()
    stop.set()
    feeding.join()
    fleet.revive()
    catch_up = time.monotonic()
    last, progress_at = None, catch_up  # faults over: the main job catches up, while it moves
    while time.monotonic() - progress_at < 180:
        left = len(list((folder / "inbox").glob("*.csv")))
        with get_engine(url).connect() as conn:
            unchecked = conn.execute(sa.text(
                "SELECT count(*) FROM post WHERE status = 'collected'")).scalar()
        if not left and not unchecked:
            break
        if (left, unchecked) != last:
            last, progress_at = (left, unchecked), time.monotonic()
        time.sleep(2)
    print(f"caught up in {time.monotonic() - catch_up:.0f}s after the faults stopped")
    time.sleep(args.heartbeat * 2)
    for proc in fleet.alive():
        fleet.sigterm(proc)
    found = results(url, folder, feeder)
    print(f"soak: {args.minutes:g} min, heartbeat {args.heartbeat:g}s, settle {args.settle:g}s,"
          f" seed {args.seed}")
    print("faults: " + ", ".join(f"{k} {v}" for k, v in sorted(faults.items())))
    for key, value in found.items():
        print(f"{key:>15}: {value}")
    print(f"     slow stops: {len(fleet.slow_stops)} (>= 10 s), bad exit codes: "
          f"{fleet.bad_exits}")
    good = (found["expected"] == found["stored"] and not found["duplicated"]
            and not found["unchecked"] and not found["overlaps"] and not found["open_runs"])
    print("OK" if good else "PROBLEM")


if __name__ == "__main__":
    main()
