"""Accuracy of the language step per language: ``python bench/lang_eval.py [DIR]``.

DIR (default ../shared/eval/lang next to the repository) holds ``sentences/``
and ``word-pairs/`` with one ``<iso>.txt`` per language.  Every line goes
through the same steps as a post without a platform tag: cleaning, script
shortcut, cached-or-langdetect, and the ``languages`` thresholds of
config.yaml.  "und" answers count as wrong and are also shown apart.
Measure with it; do not tune to it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its modules must not shadow the stdlib (queue.py)

from cqfriends.moderation.checks import language  # noqa: E402
from cqfriends.moderation.checks.text import language_text  # noqa: E402
from cqfriends.settings import load_settings  # noqa: E402


def evaluate(lines: list[str], expected: str, *, pool: object, opts: object
             ) -> tuple[int, int, int]:
    cleaned = [language_text(line) for line in lines]
    todo = [c for c in cleaned if language.needs_detection(
        platform_lang=None, cleaned=c, min_chars=opts.min_chars)]  # type: ignore[attr-defined]
    detected = dict(zip(todo, language.detect_many(todo, pool), strict=True))
    right = und = 0
    for text in cleaned:
        result = language.decide(platform_lang=None, detected=detected.get(text), cleaned=text,
                                 min_confidence=opts.min_confidence,  # type: ignore[attr-defined]
                                 min_chars=opts.min_chars)  # type: ignore[attr-defined]
        right += result.lang == expected
        und += result.lang == "und"
    return right, und, len(cleaned)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", nargs="?", default=str(ROOT.parent / "shared" / "eval" / "lang"))
    args = parser.parse_args()
    opts = load_settings(ROOT / "config.yaml", {}).languages
    pool = language.open_pool(opts.workers)
    started = time.perf_counter()
    try:
        for kind in ("sentences", "word-pairs"):
            folder = Path(args.dir) / kind
            if not folder.is_dir():
                continue
            print(f"{kind} (min_confidence {opts.min_confidence}, min_chars {opts.min_chars})")
            total_right = total = 0
            for path in sorted(folder.glob("*.txt")):
                lines = [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
                right, und, n = evaluate(lines, path.stem, pool=pool, opts=opts)
                total_right += right
                total += n
                print(f"  {path.stem}: {right / n:6.1%} of {n}  (und {und / n:5.1%})")
            print(f"  mean over lines: {total_right / max(total, 1):.1%}")
    finally:
        if pool is not None:
            pool.terminate()
    print(f"took {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
