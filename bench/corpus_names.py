"""People for the checks corpus: a name per person, and how it is written on each platform.

Each person has a given name, sometimes a middle name, and a surname; on their home
platform the account shows the full name, elsewhere one of the variants real
participants use (``VARIANTS``): an initial, a dropped middle name with a title, a
joined name, a Chinese nickname beside the given name, an emoji and a place, "in CQ",
a flag, a transliterated surname, or (rarely) a screen name with nothing in common.
Which variant an account uses is fixed by (person, platform).
"""

from __future__ import annotations

import random
import zlib

GIVEN = ("Mei Anna John Maria Ivan Olga Ahmed Fatima Lukas Sofia Kenji Yuki Minjun Jiwoo Carlos "
         "Lucia Pierre Chloe David Sarah Tom Emma Ali Leila Hans Greta Raj Priya Kwame Ama Liam "
         "Noah Mia Zoe Omar Nadia Pablo Elena Viktor Irina").split()
MIDDLE = ("Lin Marie James Ann Rose Lee Jo Kai").split()
SURNAMES = ("Tan Müller Smith Garcia Petrov Ivanova Khan Schmidt Rossi Dubois Kim Park Sato "
            "Suzuki Novak Kowalski Silva Santos Jensen Larsen Nguyen Tran Okafor Mensah Brown "
            "Wilson Taylor Martin Lopez Fischer Weber Wagner Becker Hoffmann Costa Ferreira "
            "Popescu Horvat Yilmaz Demir Schäfer Köhler Jäger Sokolov Volkov Morozov Haddad "
            "Rahman Chowdhury Mehta Iyer Nakamura Kobayashi Watanabe Andersson Nilsson Bauer "
            "Richter Wolf Klein").split()
TRANSLIT = {"Müller": "Mueller", "Schäfer": "Schaefer", "Köhler": "Koehler", "Jäger": "Jaeger",
            "Petrov": "Петров", "Sokolov": "Соколов", "Volkov": "Волков", "Morozov": "Морозов",
            "Ivanova": "Иванова", "Tan": "Tann", "Kim": "Kimm"}
NICKNAMES = ("小美 阿龙 小雨 大卫 安娜 小林 阿明 小马 老王 小玉").split()
PLACES = ("Chongqing", "CQ", "重庆", "China")
EMOJI = ("✈️", "🌶️", "📸", "🐼", "🌉")
FLAGS = ("🇸🇬", "🇩🇪", "🇫🇷", "🇧🇷", "🇳🇬", "🇯🇵", "🇰🇷", "🇷🇺", "🇺🇸", "🇮🇳")
SCREEN = ("sunnyday", "wanderlust", "noodlefan", "bluebird", "nightowl", "riverside", "hotpotlover")
# variant -> weight (percent of accounts off the home platform)
VARIANTS = {"full": 14, "initial": 12, "title": 12, "joined": 10, "nickname": 9, "emoji": 10,
            "in-place": 8, "flag": 8, "translit": 13, "unrelated": 4}
HOMES = ("twitter", "facebook", "douyin")


def person_name(person: int) -> tuple[str, str, str]:
    rng = random.Random(person * 7919)
    middle = rng.choice(MIDDLE) if rng.random() < 0.4 else ""
    return rng.choice(GIVEN), middle, rng.choice(SURNAMES)


def written(person: int, variant: str) -> tuple[str, str]:
    """(display name, handle stem) of ``person`` written as ``variant``."""
    given, middle, surname = person_name(person)
    rng = random.Random(person * 31 + zlib.crc32(variant.encode()))
    full = " ".join(p for p in (given, middle, surname) if p)
    stem = f"{given}{surname}".lower().encode("ascii", "ignore").decode()
    names = {
        "full": full,
        "initial": f"{given} {surname[0]}.",
        "title": f"{rng.choice(['Dr.', 'Mr.', 'Ms.'])} {given} {surname}",
        "joined": "".join(p for p in (given, middle, surname) if p).lower(),
        "nickname": f"{rng.choice(NICKNAMES)} {given}",
        "emoji": f"{given} {rng.choice(EMOJI)} {rng.choice(PLACES)}",
        "in-place": f"{given} in {rng.choice(PLACES)}",
        "flag": f"{rng.choice(FLAGS)} {full}",
        "translit": " ".join(p for p in (given, middle, TRANSLIT.get(surname, surname.upper()))
                             if p),
        "unrelated": f"{rng.choice(SCREEN)}{rng.randrange(10, 99)}",
    }
    return names[variant], (names[variant] if variant == "unrelated" else stem)


def account_variant(person: int, source: str) -> str:
    """The variant the account of ``person`` on ``source`` uses (full on the home platform)."""
    if HOMES[person % len(HOMES)] == source:
        return "full"
    rng = random.Random(person * 131 + zlib.crc32(source.encode()))
    return rng.choices(list(VARIANTS), list(VARIANTS.values()))[0]
