"""A labeled synthetic corpus for bench/checks.py: which post pairs are the same work.

Kinds: original works in several languages, cross-posts of a work by its
author on another platform (caption edited, hashtags reordered, URL/emoji
changed, full-width #) under the name that person uses there (corpus_names.py:
initials, nicknames, emoji, places, flags, transliterations, now and then a
screen name with nothing in common), mostly with the same photo re-encoded (a
close perceptual hash, as the media archive would store it); copies by other
people days later (and a few within hours by someone sharing the given name),
retweets, other people's posts reusing a photo, and short boilerplate captions by
many different people.  ``labels`` holds (post, work, kind) of every true pair;
``phashes`` the archive's perceptual hash of each post's photo.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from bench.corpus_names import account_variant, person_name, written
from cqfriends.normalize.post import Author, Media, Metrics, Post

WORDS = {
    "en": ("river bridge night lights hotpot spicy noodles morning walk mountain city cable car "
           "market friends dinner street food sunset skyline temple tea house old town stairs "
           "fog boat ferry festival music dance children school teacher photo camera market "
           "peppers chili local people kind welcome train station metro monorail building "
           "through tunnel rain summer autumn winter spring garden park lake hill view amazing "
           "beautiful delicious crowded quiet busy happy lovely wonderful first time again"
           ).split(),
    "es": ("río puente noche luces comida picante fideos mañana paseo montaña ciudad teleférico "
           "mercado amigos cena calle atardecer templo casa de té pueblo antiguo escaleras niebla "
           "barco festival música baile niños escuela foto gente amable tren estación lluvia "
           "verano otoño invierno jardín parque lago colina vista increíble hermosa deliciosa "
           "tranquila feliz primera vez otra").split(),
    "fr": ("rivière pont nuit lumières marmite épicée nouilles matin promenade montagne ville "
           "téléphérique marché amis dîner rue coucher soleil temple maison thé vieille ville "
           "escaliers brouillard bateau festival musique danse enfants école photo gens gentils "
           "train gare pluie été automne hiver jardin parc lac colline vue incroyable belle "
           "délicieuse calme heureux première fois encore").split(),
    "de": ("Fluss Brücke Nacht Lichter Feuertopf scharf Nudeln Morgen Spaziergang Berg Stadt "
           "Seilbahn Markt Freunde Abendessen Straße Sonnenuntergang Tempel Teehaus Altstadt "
           "Treppen Nebel Boot Fest Musik Tanz Kinder Schule Foto Leute freundlich Zug Bahnhof "
           "Regen Sommer Herbst Winter Garten Park See Hügel Aussicht unglaublich schön lecker "
           "ruhig glücklich erstes Mal wieder").split(),
    "ru": ("река мост ночь огни хого острый лапша утро прогулка гора город канатная дорога рынок "
           "друзья ужин улица закат храм чайный дом старый город лестница туман лодка праздник "
           "музыка танец дети школа фото люди добрые поезд вокзал дождь лето осень зима сад парк "
           "озеро холм вид невероятный красивый вкусный тихий счастливый первый раз снова").split(),
    "zh": ("长江 大桥 夜景 灯光 火锅 麻辣 小面 早上 散步 山城 索道 市场 朋友 晚饭 街头 美食 日落 "
           "寺庙 茶馆 老街 台阶 雾 轮渡 节日 音乐 跳舞 孩子 学校 拍照 当地人 热情 轻轨 穿楼 "
           "隧道 下雨 夏天 秋天 冬天 公园 湖边 风景 太美了 好吃 安静 开心 第一次 又来了 "
           "解放碑 洪崖洞 磁器口 南山 朝天门 我们 一起 真的 非常 喜欢").split(),
    "ko": ("강 다리 밤 불빛 훠궈 매운 국수 아침 산책 산 도시 케이블카 시장 친구 저녁 거리 음식 "
           "노을 사원 찻집 옛 마을 계단 안개 배 축제 음악 춤 아이들 학교 사진 사람들 친절한 "
           "기차 역 비 여름 가을 겨울 공원 호수 언덕 경치 놀라운 아름다운 맛있는 조용한 "
           "행복한 처음 다시").split(),
    "ja": ("川 の 橋 と 夜景 が きれい 火鍋 は 辛い です 朝 散歩 山 まち ロープウェイ 市場 "
           "友だち と 晩ごはん 通り 夕日 お寺 茶館 古い まち 階段 霧 船 お祭り 音楽 子ども "
           "学校 写真 人たち やさしい 電車 駅 雨 夏 秋 冬 公園 湖 景色 すばらしい おいしい "
           "しずか たのしい はじめて また").split(),
}
LANG_SHARE = [("en", 45), ("zh", 25), ("es", 7), ("fr", 6), ("ru", 5), ("de", 4), ("ko", 4),
              ("ja", 4)]
BOILERPLATE = ["#ChongqingFriends I love Chongqing!", "Hello from Chongqing! #ChongqingFriends",
               "重庆欢迎你 #ChongqingFriends", "Chongqing hotpot is the best 🌶️ #ChongqingFriends",
               "#ChongqingFriends 😍😍😍", "我爱重庆 #ChongqingFriends",
               "Great day in CQ #ChongqingFriends",
               "Chongqing at night ✨ #ChongqingFriends #nightview"]
EXTRA_TAGS = ["hotpot", "yangtze", "travel", "china", "nightview", "foodie", "citywalk", "重庆"]
START = datetime(2026, 10, 1, tzinfo=UTC)


class Corpus:
    def __init__(self, n: int, seed: int = 7) -> None:
        self.n, self.rng = n, random.Random(seed)
        self.truth: list[tuple[str, str]] = []
        self.labels: list[tuple[str, str, str]] = []  # (post, work, kind)
        self.phashes: dict[str, str] = {}  # post key -> perceptual hash of its photo
        self.works: list[Post] = []
        self.serial = 0

    def posts(self) -> Iterator[Post]:
        """About ``n`` posts in creation order (a little shuffled), with ``truth`` filled in."""
        rng, made = self.rng, 0
        while made < self.n:
            roll = rng.random()
            if roll < 0.58 or len(self.works) < 20:
                post = self._original()
                self.works.append(post)
                if len(self.works) > 5000:
                    self.works.pop(rng.randrange(len(self.works)))
            elif roll < 0.73:
                post = self._cross_post(rng.choice(self.works))
            elif roll < 0.765:
                post = self._copy(rng.choice(self.works))
            elif roll < 0.78:
                post = self._close_copy(rng.choice(self.works))
            elif roll < 0.86:
                post = self._retweet(rng.choice(self.works))
            elif roll < 0.88:
                post = self._media_copy(rng.choice(self.works))
            else:
                post = self._boilerplate()
            made += 1
            yield post

    # -- kinds -----------------------------------------------------------------------------
    def _author(self, person: int, source: str, variant: str | None = None) -> Author:
        name, stem = written(person, variant or account_variant(person, source))
        handle = {"twitter": f"{stem}{person % 997}", "facebook": "",
                  "douyin": f"dy{10**6 + person}"}.get(source, stem)
        return Author(id=f"{source[:2]}{person}", name=name, handle=handle)

    def _label(self, post: Post, work: Post, kind: str) -> None:
        self.truth.append((post.key, work.key))
        self.labels.append((post.key, work.key, kind))

    def _phash(self, post: Post, like: str | None = None, bits: int = 0) -> None:
        value = int(like, 16) if like else self.rng.getrandbits(64)
        for _ in range(bits):
            value ^= 1 << self.rng.randrange(64)
        self.phashes[post.key] = f"{value:016x}"

    def _post(self, *, source: str, person: int, text: str, lang: str | None,
              media: list[Media], at: datetime, author: Author | None = None,
              **extra: object) -> Post:
        self.serial += 1
        sid = str(7_000_000_000 + self.serial)
        tags = [t.lstrip("#＃").lower() for t in text.split() if t.startswith(("#", "＃"))]
        return Post(source=source, source_id=sid, url=f"https://example.org/{source}/{sid}",
                    author=author or self._author(person, source), text=text, created_at=at,
                    collected_at=at, lang=lang if source == "twitter" else None,
                    hashtags=tags, media=media, metrics=Metrics(likes=1), raw={}, **extra)

    def _now(self) -> datetime:
        return START + timedelta(seconds=self.serial * 30 + self.rng.randrange(600))

    def _caption(self, lang: str) -> str:
        words = WORDS[lang]
        n = self.rng.randrange(9, 22)
        sep = "" if lang == "zh" else " "
        body = sep.join(self.rng.choice(words) for _ in range(n))
        tags = self.rng.sample(EXTRA_TAGS, self.rng.randrange(0, 3))
        return " ".join([body, "#ChongqingFriends", *("#" + t for t in tags)])

    def _original(self) -> Post:
        rng = self.rng
        lang = rng.choices([lang for lang, _ in LANG_SHARE], [w for _, w in LANG_SHARE])[0]
        source = "douyin" if lang == "zh" and rng.random() < 0.6 else rng.choice(
            ["twitter", "twitter", "facebook"])
        person = rng.randrange(self.n // 3 + 10)
        text = self._caption(lang)
        if rng.random() < 0.4:
            text += f" https://t.co/{rng.randrange(10**9):x}"
        media = [Media("photo", f"https://img.example.org/{self.serial}-{rng.randrange(10**9)}.jpg")]
        post = self._post(source=source, person=person, text=text, lang=lang, media=media,
                          at=self._now())
        self._phash(post)
        return post

    def _edit(self, text: str) -> str:
        rng = self.rng
        parts = text.split()
        body = [p for p in parts if not p.startswith(("#", "http"))]
        tags = [p for p in parts if p.startswith("#")]
        rng.shuffle(tags)
        if rng.random() < 0.5:
            tags = [t.replace("#", "＃", 1) if t.lower() == "#chongqingfriends" else t
                    for t in tags]
        if len(body) > 6 and rng.random() < 0.5:
            body[rng.randrange(len(body))] = body[rng.randrange(len(body))]
        edited = " ".join(body)
        if rng.random() < 0.5:
            edited += rng.choice(["!", " 😍", " 🌶️🔥", "!!"])
        return " ".join(tags + [edited]) if rng.random() < 0.5 else " ".join([edited, *tags])

    def _cross_post(self, work: Post) -> Post:
        person = int(work.author.id[2:])
        source = self.rng.choice([s for s in ("twitter", "facebook", "douyin") if s != work.source])
        late = self.rng.random() >= 0.92
        hours = self.rng.randrange(24, 48) if late else self.rng.randrange(1, 20)
        post = self._post(source=source, person=person, text=self._edit(work.text),
                          lang=work.lang, media=[Media("photo", f"https://cdn.example.net/{self.serial}.jpg")],
                          at=work.created_at + timedelta(hours=hours))
        if self.rng.random() < 0.8 and work.key in self.phashes:  # the same photo, re-encoded
            self._phash(post, self.phashes[work.key], bits=self.rng.randrange(0, 4))
        else:
            self._phash(post)
        self._label(post, work, "cross-post")
        return post

    def _copy(self, work: Post) -> Post:
        person = self.n + self.rng.randrange(10**6)
        post = self._post(source=self.rng.choice(["twitter", "facebook"]), person=person,
                          text=self._edit(work.text), lang=work.lang, media=[],
                          at=work.created_at + timedelta(days=self.rng.randrange(1, 10)))
        self._label(post, work, "copy")
        return post

    def _close_copy(self, work: Post) -> Post:
        """Someone else with the same given name copies the caption within hours."""
        given = person_name(int(work.author.id[2:]))[0]
        person = next(p for p in (self.n + self.rng.randrange(10**6) for _ in range(10**6))
                      if person_name(p)[0] == given
                      and person_name(p)[2] != person_name(int(work.author.id[2:]))[2])
        source = self.rng.choice([s for s in ("twitter", "facebook") if s != work.source])
        post = self._post(source=source, person=person, text=self._edit(work.text),
                          lang=work.lang, media=[], author=self._author(person, source, "full"),
                          at=work.created_at + timedelta(hours=self.rng.randrange(2, 20)))
        self._label(post, work, "copy")
        return post

    def _retweet(self, work: Post) -> Post:
        person = self.n + self.rng.randrange(10**6)
        handle = work.author.handle or "someone"
        post = self._post(source="twitter", person=person, text=f"RT @{handle}: {work.text}"[:140],
                          lang=work.lang, media=list(work.media), is_repost=True,
                          repost_of=work.key, at=work.created_at + timedelta(hours=2))
        self._label(post, work, "retweet")
        return post

    def _media_copy(self, work: Post) -> Post:
        person = self.n + self.rng.randrange(10**6)
        lang = self.rng.choice(["en", "zh"])
        post = self._post(source=work.source, person=person, text=self._caption(lang),
                          lang=lang, media=list(work.media),
                          at=work.created_at + timedelta(days=1))
        if work.key in self.phashes:
            self._phash(post, self.phashes[work.key])
        self._label(post, work, "media-copy")
        return post

    def _boilerplate(self) -> Post:
        person = self.rng.randrange(self.n)
        text = self.rng.choice(BOILERPLATE)
        lang = "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"
        return self._post(source=self.rng.choice(["twitter", "facebook", "douyin"]), person=person,
                          text=text, lang=lang, media=[Media("photo", f"https://img.example.org/b{self.serial}.jpg")],
                          at=self._now())
