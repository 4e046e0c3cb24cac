"""Latency and recall of knowledge search (KB-1) with 5,000 Chinese articles in the database.

Articles of 250–900 characters are generated from a vocabulary of 6,000 words (call-centre terms
and words of common characters) used with Zipf-like frequencies, as in real text; 400 queries of
2–6 Chinese characters (80 of each length) are cut from random articles (titles and bodies), so
every query has at least one hit. Each search is the selector a page or the API calls: the first 20 published articles
valid today that the reader may see, title matches first.

* ours: ``selectors.search_articles`` (bigram phrases in the database's full-text index);
* peer: the same query with ``icontains`` on title and body, which is also the ground truth for
  recall (the share of the articles containing the query that the method returns);
* alternatives, printed for the record: FTS5 trigram on SQLite or pg_trgm on PostgreSQL, with
  LIKE for 2-character queries; jieba words in FTS5 when jieba can be imported (not a dependency).

value: p95 of ours in ms; ratio = peer p95 / ours p95 (above 1: ours is faster).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date, timedelta

from bench._util import build_structure, percentile, print_result, setup_django

NAME = "knowledge_search"
ARTICLES = 5000
QUERIES = 400
WARM_UP = 20
PAGE = 20

# Frequent characters of modern Chinese and of call-centre text; words are made of them.
CHARACTERS = (
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多"
    "天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但"
    "身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四"
    "第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通"
    "目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物"
    "台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远"
    "资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江"
    "语英基派满式李息写识极令黄德收脸钱倒未持音断除质客户费号卡票税单账款退换递寄订密码验证银宽网络障停燃预约挂影"
    "座抬营执照份驾违罚投诉议访维修装售配签拒址积优惠券团购押租医养险"
)
BUSINESS_TEXT = (
    "增值税发票 电子发票 社保卡 医保报销 公积金 养老保险 会员卡 积分 退款 退货 换货 快递 物流 "
    "订单 账户 密码 验证码 银行卡 信用卡 话费 流量 套餐 宽带 网络故障 水费 燃气费 预约挂号 "
    "电影票 发票抬头 税号 个人所得税 营业执照 身份证 居住证 驾驶证 违章 罚款 投诉 回访 满意度 "
    "工单 优惠券 押金 维修 上门服务 保修 售后 签收 地址变更 办理 查询 申请 补办 挂失 变更 "
    "取消 开具 下载 核实 登记 提交 审核 激活 冻结 续费 缴纳 领取 客户 坐席 工作日 "
)
VOCABULARY = 6000


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Words of 1–4 characters with Zipf-like frequencies (rank r is used about 1/r as often)."""
    words = BUSINESS_TEXT.split()
    while len(words) < VOCABULARY:
        length = rng.choices([1, 2, 3, 4], [15, 55, 20, 10])[0]
        words.append("".join(rng.choices(CHARACTERS, k=length)))
    rng.shuffle(words)
    return words, [1 / (rank + 1) for rank in range(len(words))]


def generate(rng: random.Random, count: int) -> list[tuple[str, str]]:
    words, weights = vocabulary(rng)
    out = []
    for _n in range(count):
        title = "".join(rng.choices(words, weights, k=rng.randint(2, 5)))
        body = ""
        target = rng.randint(250, 900)
        while len(body) < target:
            body += "".join(rng.choices(words, weights, k=rng.randint(5, 14))) + rng.choice("，，，。。；：")
        out.append((title, body))
    return out


def _queries(rng: random.Random, texts: list[tuple[str, str]], count: int) -> list[str]:
    import re

    from banzu.knowledge.rules import _CJK  # the character ranges the index treats as Chinese

    chinese = re.compile(rf"[{_CJK}]+")
    out: list[str] = []
    while len(out) < count:
        title, body = rng.choice(texts)
        source = title if rng.random() < 0.3 else body
        length = 2 + len(out) % 5  # lengths 2, 3, 4, 5, 6 in turn
        runs = [run for run in chinese.findall(source) if len(run) >= length]
        if not runs:
            continue
        run = rng.choice(runs)
        start = rng.randrange(0, len(run) - length + 1)
        out.append(run[start : start + length])
    return out


def insert_articles(org, texts: list[tuple[str, str]]) -> None:
    """Bulk rows as the services would leave them (set-up, not the thing measured)."""
    from django.utils import timezone

    from banzu.knowledge import search
    from banzu.knowledge.models import Article, ArticleSearchText, ArticleVersion

    now = timezone.now()
    articles = Article.objects.bulk_create(
        [
            Article(centre=org.centre, title=title, status=Article.Status.PUBLISHED, published_at=now - timedelta(n))
            for n, (title, _body) in enumerate(texts)
        ],
        batch_size=500,
    )
    versions = ArticleVersion.objects.bulk_create(
        [
            ArticleVersion(article=item, number=1, title=title, body=body, change_note="基准", changed_at=now)
            for item, (title, body) in zip(articles, texts, strict=True)
        ],
        batch_size=500,
    )
    for item, version in zip(articles, versions, strict=True):
        item.current_version = version
    Article.objects.bulk_update(articles, ["current_version"], batch_size=500)
    ArticleSearchText.objects.bulk_create(
        [
            ArticleSearchText(article=item, **search.search_fields(title=title, tags=[], body=body))
            for item, (title, body) in zip(articles, texts, strict=True)
        ],
        batch_size=500,
    )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a load; every method gets the statistics


def peer_search(user, query: str, today: date):
    from django.db.models import Case, IntegerField, Q, Value, When

    from banzu.knowledge import selectors

    return (
        selectors.published_articles(user, on=today)
        .filter(Q(title__icontains=query) | Q(current_version__body__icontains=query))
        .annotate(
            head_hit=Case(When(title__icontains=query, then=Value(1)), default=Value(0), output_field=IntegerField())
        )
        .order_by("-head_hit", "-published_at", "-pk")
    )


class Trigram:
    """FTS5 trigram (SQLite) or pg_trgm (PostgreSQL) over title and body, LIKE below 3 characters."""

    name = "trigram"

    def __init__(self, vendor: str) -> None:
        from django.db import connection

        self.vendor = vendor
        with connection.cursor() as cursor:
            if vendor == "sqlite":
                cursor.execute(
                    "CREATE VIRTUAL TABLE bench_trigram USING fts5(title, body, tokenize='trigram case_sensitive 0')"
                )
                cursor.execute(
                    "INSERT INTO bench_trigram(rowid, title, body) SELECT a.id, a.title, v.body "
                    "FROM knowledge_article a JOIN knowledge_articleversion v ON v.id = a.current_version_id"
                )
            else:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute(
                    "CREATE INDEX IF NOT EXISTS bench_trgm_title ON knowledge_article USING gin (title gin_trgm_ops)"
                )
                cursor.execute(
                    "CREATE INDEX IF NOT EXISTS bench_trgm_body ON knowledge_articleversion "
                    "USING gin (body gin_trgm_ops)"
                )

    def search(self, user, query: str, today: date):
        from django.db.models import Case, IntegerField, Q, Value, When
        from django.db.models.expressions import RawSQL

        from banzu.knowledge import selectors

        base = selectors.published_articles(user, on=today)
        if self.vendor == "postgresql":
            pattern = f"%{query}%"
            title = Q(pk__in=RawSQL("SELECT id FROM knowledge_article WHERE title ILIKE %s", [pattern]))
            body = Q(
                current_version__in=RawSQL("SELECT id FROM knowledge_articleversion WHERE body ILIKE %s", [pattern])
            )
        elif len(query) >= 3:
            title = Q(
                pk__in=RawSQL("SELECT rowid FROM bench_trigram WHERE bench_trigram MATCH %s", [f'title : "{query}"'])
            )
            body = Q(
                pk__in=RawSQL("SELECT rowid FROM bench_trigram WHERE bench_trigram MATCH %s", [f'body : "{query}"'])
            )
        else:
            title, body = Q(title__contains=query), Q(current_version__body__contains=query)
        return (
            base.filter(title | body)
            .annotate(head_hit=Case(When(title, then=Value(1)), default=Value(0), output_field=IntegerField()))
            .order_by("-head_hit", "-published_at", "-pk")
        )


class Jieba:
    """jieba's search-mode words in an FTS5 table; queries are the words of jieba's default cut."""

    name = "jieba"

    def __init__(self, vendor: str) -> None:
        import logging

        import jieba
        from django.db import connection

        from banzu.knowledge.models import ArticleVersion

        jieba.setLogLevel(logging.WARNING)
        self.jieba = jieba
        started = time.perf_counter()
        jieba.initialize()
        self.load_ms = (time.perf_counter() - started) * 1000
        rows = ArticleVersion.objects.values_list("article_id", "title", "body")
        with connection.cursor() as cursor:
            cursor.execute("CREATE VIRTUAL TABLE bench_jieba USING fts5(title, body)")
            cursor.executemany(
                "INSERT INTO bench_jieba(rowid, title, body) VALUES (%s, %s, %s)",
                [(pk, self._words(title), self._words(body)) for pk, title, body in rows],
            )

    def _words(self, text: str) -> str:
        return " ".join(word for word in self.jieba.cut_for_search(text) if word.strip())

    def search(self, user, query: str, today: date):
        from django.db.models import Case, IntegerField, Q, Value, When
        from django.db.models.expressions import RawSQL

        from banzu.knowledge import selectors

        words = [word for word in self.jieba.cut(query) if word.strip()]
        expression = " AND ".join(f'"{word}"' for word in words) or '""'
        sql = "SELECT rowid FROM bench_jieba WHERE bench_jieba MATCH %s"
        title = Q(pk__in=RawSQL(sql, [f"title : ({expression})"]))
        body = Q(pk__in=RawSQL(sql, [f"body : ({expression})"]))
        return (
            selectors.published_articles(user, on=today)
            .filter(title | body)
            .annotate(head_hit=Case(When(title, then=Value(1)), default=Value(0), output_field=IntegerField()))
            .order_by("-head_hit", "-published_at", "-pk")
        )


def _timed_pages(search, user, queries: list[str], today: date) -> list[float]:
    for query in queries[:WARM_UP]:
        list(search(user, query, today)[:PAGE])
    out = []
    for query in queries:
        started = time.perf_counter()
        list(search(user, query, today)[:PAGE])
        out.append((time.perf_counter() - started) * 1000)
    return out


def _recall(search, user, queries: list[str], today: date, truth: list[set[int]]) -> float:
    shares = []
    for query, expected in zip(queries, truth, strict=True):
        found = set(search(user, query, today).values_list("pk", flat=True))
        shares.append(len(found & expected) / len(expected))
    return statistics.fmean(shares)


def _line(name: str, times: list[float], recall: float) -> str:
    return (
        f"{name:10s} p50 {percentile(times, 50):7.2f} ms  p95 {percentile(times, 95):7.2f} ms  "
        f"max {max(times):7.2f} ms  recall {recall:.3f}"
    )


def main() -> int:
    database = setup_django(NAME)
    from django.utils import timezone

    from banzu.knowledge import selectors

    rng = random.Random(20250601)
    org = build_structure(departments=2, teams_per_department=2)
    texts = generate(rng, ARTICLES)
    started = time.perf_counter()
    insert_articles(org, texts)
    build_s = time.perf_counter() - started
    queries = _queries(rng, texts, QUERIES)
    user = org.hr_user  # a centre-wide reader who is not an editor: published articles only
    today = timezone.localdate()

    def ours(user, query, today):
        return selectors.search_articles(user, query, only_valid_on=today)

    truth = [set(peer_search(user, query, today).values_list("pk", flat=True)) for query in queries]
    if not all(truth):
        print("a generated query has no hit; the generator is broken")
        return 1
    short = [n for n, query in enumerate(queries) if len(query) == 2]
    print(
        f"{ARTICLES} articles on {database}, {len(queries)} queries ({len(short)} of 2 characters); "
        f"insert with index {build_s:.1f} s"
    )

    peer_ms = _timed_pages(peer_search, user, queries, today)
    ours_ms = _timed_pages(ours, user, queries, today)
    ours_recall = _recall(ours, user, queries, today, truth)
    print(_line("icontains", peer_ms, 1.0))
    print(_line("bigram", ours_ms, ours_recall))
    two = [ours_ms[n] for n in short]
    print(f"bigram, 2-character queries only: p95 {percentile(two, 95):.2f} ms")

    alternatives = [Trigram]
    try:
        import jieba  # noqa: F401

        if database == "sqlite":
            alternatives.append(Jieba)
    except ImportError:
        print("jieba not installed: not measured")
    for make in alternatives:
        method = make(database)
        times = _timed_pages(method.search, user, queries, today)
        print(_line(method.name, times, _recall(method.search, user, queries, today, truth)))
        if method.name == "jieba":
            print(f"jieba dictionary load {method.load_ms:.0f} ms")

    p95 = percentile(ours_ms, 95)
    peer_p95 = percentile(peer_ms, 95)
    print_result(
        name=NAME,
        value=round(p95, 2),
        unit="ms",
        peer="icontains",
        ratio=round(peer_p95 / p95, 2),
        recall=round(ours_recall, 3),
        peer_p95_ms=round(peer_p95, 2),
        p50_ms=round(percentile(ours_ms, 50), 2),
        articles=ARTICLES,
        queries=len(queries),
        db=database,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
