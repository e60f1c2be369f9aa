"""``Checker``: all checks of one batch of posts, as rows of results for store.save_results."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from cqfriends.moderation.checks import dedup, language
from cqfriends.moderation.checks.clusters import DEDUP_CODES, Folder, Outcome, work_from_row
from cqfriends.moderation.checks.people import People
from cqfriends.moderation.checks.prepare import Prepared, inputs, prepare, prepare_after
from cqfriends.moderation.checks.rules import Flag, Rules, flag
from cqfriends.moderation.checks.text import dedup_text
from cqfriends.settings import Settings
from cqfriends.store import checks as store
from cqfriends.store.identity import accounts_of, link_accounts, persons_of
from cqfriends.store.media import MEDIA_MISSING
from cqfriends.store.models import utcnow

log = logging.getLogger(__name__)
WORK_CACHE = 300_000
FULL_KEYS = 2_000_000
HUMAN_KEPT = ("status", "reason", "duplicate_of")  # a moderator's decision is never redone
OWNED_ELSEWHERE = frozenset({MEDIA_MISSING})  # flags the checks never set, and never drop


class Checker:
    """Compiled settings plus the detection pool, reused across batches of one run."""

    def __init__(self, settings: Settings,
                 author_rules: tuple[set[str], set[str]] | None = None, pool: Any = None
                 ) -> None:
        self.settings = settings
        self.rules = Rules.from_settings(settings, *(author_rules or ((), ())))
        self.pool: Any = pool  # a caller's pool is the caller's to close
        self.own_pool = pool is None
        self.works: dict[int, dedup.Work] = {}  # stored works seen by this run (a bounded cache)
        self.full: set[str] = set()  # dedup keys whose bucket holds BUCKET_CAP posts already
        self.ahead: Any = None  # the next batch, being prepared in the pool (prepare.py)

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.own_pool:
            language.close_pool(self.pool)
            self.pool = None

    # -- a batch of unchecked posts -------------------------------------------------------
    def check_batch(self, session: Session, posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        last_id = max(p["id"] for p in posts)
        posts = sorted(posts, key=lambda p: (p["created_at"], p["id"]))
        prepared = self._prepared(posts)
        detection = self._start_languages(session, posts, prepared)
        self._prepare_ahead(session, after_id=last_id, limit=len(posts))
        folder, outcomes = self._dedup(session, posts, prepared)
        counts = self._author_days(session, posts)
        langs = self._finish_languages(session, detection)
        now, results = utcnow(), []
        for post in posts:
            outcome = outcomes.get(post["id"]) or Outcome()
            dedup_flags = folder.touched.get(post["id"], outcome.flags)
            lang, lang_flags = langs[post["id"]]
            flags = dedup_flags + lang_flags + self.rules.evaluate(
                post, posts_that_day=counts.of(post), content=prepared[post["id"]].content
            ) + _owned_elsewhere(post)
            row = {"id": post["id"], "lang": lang.lang, "lang_confidence": lang.confidence,
                   "flags": flags, "duplicate_of": outcome.duplicate_of, "checked_at": now}
            if any(f["code"] == "repost" for f in dedup_flags) or outcome.duplicate_of:
                row.update(status="duplicate", reason=None)
            else:
                row.update(self._rule_status(flags))
            results.append(self._keep_decision(post, row, now))
        batch_ids = {p["id"] for p in posts}
        results += [{"id": pid, "flags": flags} for pid, flags in folder.touched.items()
                    if pid not in batch_ids]
        return results

    # -- recheck: language and rules again, duplicates and decisions kept ------------------
    def recheck_batch(self, session: Session, posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        prepared = self._prepared(posts)
        detection = self._start_languages(session, posts, prepared)
        counts = self._author_days(session, posts)
        langs = self._finish_languages(session, detection)
        now, results = utcnow(), []
        for post in posts:
            lang, lang_flags = langs[post["id"]]
            kept = [f for f in post["flags"] or [] if f["code"] in DEDUP_CODES | OWNED_ELSEWHERE]
            flags = kept + lang_flags + self.rules.evaluate(
                post, posts_that_day=counts.of(post), content=prepared[post["id"]].content)
            row: dict[str, Any] = {"id": post["id"], "lang": lang.lang,
                                   "lang_confidence": lang.confidence, "flags": flags}
            if post["status"] in ("pending", "rejected", "approved", "collected"):
                row.update(self._rule_status(flags))
            results.append(self._keep_decision(post, row, now))
        return results

    # -- pieces -------------------------------------------------------------------------
    def _prepared(self, posts: list[dict[str, Any]]) -> dict[int, Prepared]:
        """Each post's pure part: from the pool's look ahead where still current, else here."""
        ahead: dict[int, Prepared] = {}
        if self.ahead is not None:
            try:
                ahead = self.ahead.get()
            except Exception:  # noqa: BLE001 - only a head start: prepare them here instead
                log.warning("preparing the batch ahead failed; preparing it here", exc_info=True)
            self.ahead = None
        out = {}
        for post in posts:
            known = ahead.get(post["id"])
            if known is None or known.inputs != inputs(post):
                known = prepare(post, self.settings, self.rules)
            out[post["id"]] = known
        return out

    def _prepare_ahead(self, session: Session, *, after_id: int, limit: int) -> None:
        """Have the pool read and prepare the next batch while this one is checked."""
        if self.pool is not None:
            url = session.get_bind().url.render_as_string(hide_password=False)
            self.ahead = self.pool.apply_async(prepare_after,
                                               (url, self.settings, after_id, limit))

    def _rule_status(self, flags: list[Flag]) -> dict[str, Any]:
        status, reason = self.rules.status(flags, skip_queue=self.settings.rules.allowed_skip_queue)
        return {"status": status, "reason": reason}

    @staticmethod
    def _keep_decision(post: dict[str, Any], row: dict[str, Any], now: Any) -> dict[str, Any]:
        if post.get("decided_by"):
            for column in HUMAN_KEPT:
                row.pop(column, None)
        elif "status" in row and row["status"] != post["status"]:
            row["changed_at"] = now
        elif "status" in row and row.get("reason") == post.get("reason"):
            row.pop("status")
            row.pop("reason")
        return row

    def _author_days(self, session: Session, posts: list[dict[str, Any]]) -> PersonDays:
        """Posts per person (all their linked accounts) and local day, for ``author-flood``."""
        accounts = {(p["source"], p["author_id"]) for p in posts if p["author_id"]}
        person = persons_of(session=session, accounts=accounts)
        linked = accounts_of(session=session, person_ids=set(person.values()))
        every = accounts | {(a.source, a.author_key) for rows in linked.values() for a in rows}
        person.update({(a.source, a.author_key): pid for pid, rows in linked.items() for a in rows})
        counts = store.count_author_days(
            session=session, authors=every, tz=self.settings.campaign.tz,
            since=min(p["created_at"] for p in posts), until=max(p["created_at"] for p in posts))
        return PersonDays(self.settings.campaign.tz, person, counts)

    def _start_languages(self, session: Session, posts: list[dict[str, Any]],
                         prepared: dict[int, Prepared]) -> dict[str, Any]:
        need = {p.lang_hash: p.cleaned for p in prepared.values() if p.settled is None}
        known = store.get_lang_cache(session=session, hashes=need)
        todo = [h for h in need if h not in known]
        texts = [need[h] for h in todo]
        pending = None
        if len(texts) >= language.POOL_MIN_TEXTS and self.settings.languages.workers != 1:
            if self.pool is None:  # started on first need: small runs never pay for it
                self.pool = language.open_pool(self.settings.languages.workers)
        if self.pool is not None and texts:  # once there is a pool, it does all detection
            pending = self.pool.map_async(language.detect_one, texts, chunksize=16)
        return {"posts": posts, "prepared": prepared, "known": known, "todo": todo,
                "texts": texts, "pending": pending}

    def _finish_languages(self, session: Session, job: dict[str, Any]
                          ) -> dict[int, tuple[language.Language, list[Flag]]]:
        opts = self.settings.languages
        found = job["pending"].get() if job["pending"] is not None else [
            language.detect_one(t) for t in job["texts"]]
        fresh = dict(zip(job["todo"], found, strict=True))
        store.put_lang_cache(session=session, entries=fresh)
        known = {**job["known"], **fresh}
        out = {}
        for post in job["posts"]:
            prepared: Prepared = job["prepared"][post["id"]]
            lang = language.Language(*prepared.settled) if prepared.settled else (
                language.detected_language(known.get(prepared.lang_hash),
                                           min_confidence=opts.min_confidence))
            out[post["id"]] = (lang, self._language_flags(lang))
        return out

    def _language_flags(self, lang: language.Language) -> list[Flag]:
        opts = self.settings.languages
        if lang.uncertain:
            return [flag("language-uncertain", f"best guess below {opts.min_confidence:.2f} "
                                               f"(confidence {lang.confidence:.2f})")]
        if lang.lang != "und" and lang.lang not in opts.reviewable:
            return [flag("needs-translation",
                         f"written in {lang.lang}; the team reads {', '.join(opts.reviewable)}")]
        return []

    def _dedup(self, session: Session, posts: list[dict[str, Any]],
               prepared: dict[int, Prepared]) -> tuple[Folder, dict[int, Outcome]]:
        opts = self.settings.dedup
        window = timedelta(days=opts.window_days)
        outcomes: dict[int, Outcome] = {}
        originals = store.find_post_ids(session=session, keys={
            p["repost_of"] for p in posts if p["is_repost"] and p["repost_of"]})
        works: dict[int, dedup.Work] = {}
        for post in posts:
            ready = prepared[post["id"]]
            if post["is_repost"] or ready.retweet:
                outcomes[post["id"]] = _repost_outcome(post, originals)
                continue
            works[post["id"]] = work_from_row(post, ready.dedup_text, list(ready.keys))
        for w in works.values():  # full buckets hold common phrases: skip them if possible
            w.keys = [k for k in w.keys if k not in self.full] or w.keys
        stored = store.find_keys(session=session, keys={k for w in works.values() for k in w.keys})
        if len(self.full) > FULL_KEYS:
            self.full.clear()
        self.full.update(k for k, ids in stored.items() if len(ids) >= dedup.BUCKET_CAP)
        known = self._known_works(session, {
            i for ids in stored.values() for i in ids[:dedup.BUCKET_CAP]})
        batch_index: dict[str, list[dedup.Work]] = {}
        inserts: list[tuple[str, int]] = []
        found: list[tuple[dedup.Work, list[dedup.Match]]] = []
        for post in posts:  # matching never depends on earlier decisions: do it all first
            work = works.get(post["id"])
            if work is None:
                continue
            earliest, latest = work.created_at - window, work.created_at + window
            candidates: dict[int, tuple[dedup.Work, set[str]]] = {}
            for key in work.keys:
                others = [known[i] for i in stored.get(key, ())[:dedup.BUCKET_CAP] if i in known]
                others.extend(batch_index.get(key, ()))
                for other in others:
                    if earliest <= other.created_at <= latest:
                        if (entry := candidates.get(other.id)) is None:
                            candidates[other.id] = (other, {key})
                        else:
                            entry[1].add(key)
            found.append((work, dedup.verify(work, candidates.values(), threshold=opts.threshold,
                                             copy_min_chars=opts.copy_min_chars)))
            for key in work.keys:
                bucket = batch_index.setdefault(key, [])
                if len(stored.get(key, ())) + len(bucket) < dedup.BUCKET_CAP:
                    bucket.append(work)
                    inserts.append((key, work.id))
        by_key = self._stored_flags(session, found, {w.key for w in works.values()})

        def lookup(key: str) -> tuple[int, list[Flag]] | None:
            if key in by_key:  # posts of this batch, and stored ones already looked up
                return by_key[key]
            ids = store.find_post_ids(session=session, keys=[key])
            if key not in ids:
                return None
            row = store.load_works(session=session, ids=[ids[key]])[ids[key]]
            by_key[key] = (row["id"], row["flags"])
            return by_key[key]

        people = People.load(session, self.settings, [*works.values(), *(
            m.work for _, matches in found for m in matches)])
        folder = Folder(lookup, people.verdict)
        for work, matches in found:  # then decide in creation order
            outcome = folder.decide(work, matches)
            work.duplicate_of = outcome.duplicate_of
            outcomes[work.id] = outcome
            by_key[work.key] = (work.id, outcome.flags)
        store.add_keys(session=session, rows=inserts)
        if people.links:
            link_accounts(session=session, links=people.links, labels=people.labels,
                          linked_by="checks")
        self.works.update((w.id, w) for w in works.values())
        return folder, outcomes

    @staticmethod
    def _stored_flags(session: Session, found: list[tuple[dedup.Work, list[dedup.Match]]],
                      batch_keys: set[str]) -> dict[str, tuple[int, list[Flag]]]:
        """Id and flags of every stored post the decisions may look up, in two queries."""
        keys = {k for _, matches in found for m in matches
                for k in (m.work.key, m.work.duplicate_of) if k and k not in batch_keys}
        ids = store.find_post_ids(session=session, keys=keys)
        rows = store.load_works(session=session, ids=ids.values())
        return {key: (pid, rows[pid]["flags"]) for key, pid in ids.items() if pid in rows}

    def _known_works(self, session: Session, ids: set[int]) -> dict[int, dedup.Work]:
        """Stored works by id, from a bounded cache or the database."""
        if len(self.works) > WORK_CACHE:
            self.works.clear()
        missing = ids - self.works.keys()
        tags = self.rules.campaign_tags
        for i, row in store.load_works(session=session, ids=missing,
                                       columns=store.CANDIDATE_COLUMNS).items():
            text = dedup_text(row["text"] or "", campaign_tags=tags)
            self.works[i] = work_from_row(row, text, [])
        return {i: self.works[i] for i in ids if i in self.works}


@dataclass
class PersonDays:
    """Counts per (source, author_id, day), read per person when accounts are linked."""

    tz: Any
    person: dict[tuple[str, str], int]
    counts: Counter[tuple[str, str, date]]
    by_person: Counter[tuple[int, date]] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for (source, author, day), n in self.counts.items():
            if (pid := self.person.get((source, author))) is not None:
                self.by_person[(pid, day)] += n

    def of(self, post: dict[str, Any]) -> int:
        day = post["created_at"].astimezone(self.tz).date()
        pid = self.person.get((post["source"], post["author_id"]))
        if pid is not None:
            return self.by_person[(pid, day)]
        return self.counts[(post["source"], post["author_id"], day)]


def _owned_elsewhere(post: dict[str, Any]) -> list[Flag]:
    return [f for f in post["flags"] or [] if f.get("code") in OWNED_ELSEWHERE]


def _repost_outcome(post: dict[str, Any], originals: dict[str, int]) -> Outcome:
    original = post["repost_of"]
    if original and original in originals:
        return Outcome(original, [flag("repost", f"repost of {original}")])
    if original:
        return Outcome(None, [flag("repost", f"repost of {original} (original not collected)")])
    return Outcome(None, [flag("repost", "manual retweet (text starts with RT @)")])
