"""Full-text search of knowledge articles in Chinese and English (KB-1), on SQLite and PostgreSQL.

How it works
------------
Chinese is written without spaces, so words cannot be cut out by a tokenizer that splits on
spaces. For every run of Chinese characters the index keeps each pair of neighbouring characters
(a bigram) as a term, in order; letters and digits form ordinary lower-case words
(``rules.index_terms``: "开具增值税发票 VIP" → "开具 具增 增值 值税 税发 发票 vip"). A query is cut the
same way and searched as a phrase (terms adjacent and in order), so a Chinese query of two or more
characters finds exactly the texts that contain it, whatever the word boundaries: 发票, 社保 and
值税 all match. A single Chinese character alone (票) has no pair and is matched with a substring
test on the normalised text instead; so is a part of a query with a single character inside.

The terms are stored by the services in ``ArticleSearchText`` (title and tags apart from the body)
and indexed by the database:

* SQLite: an FTS5 table (``unicode61`` tokenizer over the space-separated terms, external content)
  kept in step by triggers on ``knowledge_articlesearchtext``; queries use FTS5 phrase syntax.
* PostgreSQL: stored generated ``tsvector`` columns (``to_tsvector('simple', …)`` of the terms;
  ``simple`` only lower-cases) with GIN indexes; queries are ``to_tsquery`` with the phrase
  operator ``<->``.

Ranking: articles whose title or tags match come before those where only the body matches
(``head_hit``), then the most recently published. Everything that depends on the database is in
this module, behind the single check in ``_vendor``.

Measurements (``python -m bench.knowledge_search``, on a shared and busy
machine, so read the ratios rather than the milliseconds): 5,000 generated articles of 250–900
characters, 400 searches of 2–6 characters cut from them (80 of each length), first page of 20
results through the selector; latency in ms; recall against icontains, which is exact:

==========================================  =================  =================  ======
method                                      SQLite p50 / p95   PostgreSQL p50/95  recall
==========================================  =================  =================  ======
icontains on title and body (the peer)      21.5 / 27.1        90.4 / 118.3       1.00
FTS5 trigram / pg_trgm, LIKE for 2 chars     5.9 / 22.0         6.0 /  68.8       1.00
jieba words in FTS5 (jieba 0.42.1)           6.7 / 10.0        –                  0.41
bigram phrases (chosen)                      3.0 / 11.7        12.8 /  41.2       1.00
==========================================  =================  =================  ======

Over several runs the ratio icontains p95 / bigram p95 was 2.3–3.0 on SQLite and about 2.9 on
PostgreSQL. 2-character queries alone, bigrams: p95 12.5 ms (SQLite), 36.8 ms (PostgreSQL). The generated
words are random combinations of common characters, unknown to jieba's dictionary, which lowers
its recall more than real text would; queries that cut across its words still miss there.

Why bigrams
-----------
* icontains reads every article for every search; its cost grows with the text of the whole
  knowledge base.
* Trigrams (FTS5 ``trigram`` tokenizer, pg_trgm) cannot answer queries of two characters, and two
  characters is the most common length of a Chinese word (发票, 社保, 密码): those fall back to a
  scan, which sets the p95 (trigrams win the median on PostgreSQL). pg_trgm also needs
  ``CREATE EXTENSION`` (a superuser on managed PostgreSQL).
* A word segmenter (jieba) adds a dependency whose dictionary takes 0.7–1.7 s to load, and misses
  every query that cuts across its word boundaries (值税 in 增值税, 会员卡号 when it saw 会员/卡号):
  an agent who types part of what they remember does not find it.
* Bigrams need no extension and no package, answer 2-character queries from the index, are exact
  (a phrase of bigrams is a substring), and use the same Python code for the terms on both
  databases. The index is larger (about one term per character), which is cheap at this size.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import connection as default_connection
from django.db import transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from banzu.knowledge import rules


def _vendor(connection: Any = None) -> str:
    """The one place that asks which database this is."""
    vendor = (connection or default_connection).vendor
    if vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"Knowledge search supports SQLite and PostgreSQL, not {vendor}.")
    return vendor


# --- what the services store -----------------------------------------------------------------


def search_fields(*, title: str, tags: list[str], body: str) -> dict[str, str]:
    """The ArticleSearchText values for an article's current content."""
    head = " ".join([title, *tags])
    return {
        "head_text": rules.normalise_text(head),
        "body_text": rules.normalise_text(body),
        "head_terms": rules.index_terms(head),
        "body_terms": rules.index_terms(body),
    }


# --- database objects (created by migration 0002) ---------------------------------------------

SQLITE_DDL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_articlesearch_fts USING fts5(
        head_terms, body_terms, content='knowledge_articlesearchtext', content_rowid='article_id',
        tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER IF NOT EXISTS knowledge_search_inserted AFTER INSERT ON knowledge_articlesearchtext BEGIN
        INSERT INTO knowledge_articlesearch_fts(rowid, head_terms, body_terms)
        VALUES (new.article_id, new.head_terms, new.body_terms);
    END""",
    """CREATE TRIGGER IF NOT EXISTS knowledge_search_deleted AFTER DELETE ON knowledge_articlesearchtext BEGIN
        INSERT INTO knowledge_articlesearch_fts(knowledge_articlesearch_fts, rowid, head_terms, body_terms)
        VALUES ('delete', old.article_id, old.head_terms, old.body_terms);
    END""",
    """CREATE TRIGGER IF NOT EXISTS knowledge_search_updated AFTER UPDATE ON knowledge_articlesearchtext BEGIN
        INSERT INTO knowledge_articlesearch_fts(knowledge_articlesearch_fts, rowid, head_terms, body_terms)
        VALUES ('delete', old.article_id, old.head_terms, old.body_terms);
        INSERT INTO knowledge_articlesearch_fts(rowid, head_terms, body_terms)
        VALUES (new.article_id, new.head_terms, new.body_terms);
    END""",
    # WO-5 cites versions: what an agent read must stay as it was.
    """CREATE TRIGGER IF NOT EXISTS knowledge_version_immutable BEFORE UPDATE ON knowledge_articleversion BEGIN
        SELECT RAISE(ABORT, 'article versions are immutable');
    END""",
    # Rebuild from the content table, for databases that had rows before the triggers existed.
    "INSERT INTO knowledge_articlesearch_fts(knowledge_articlesearch_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS knowledge_version_immutable",
    "DROP TRIGGER IF EXISTS knowledge_search_updated",
    "DROP TRIGGER IF EXISTS knowledge_search_deleted",
    "DROP TRIGGER IF EXISTS knowledge_search_inserted",
    "DROP TABLE IF EXISTS knowledge_articlesearch_fts",
]
POSTGRES_DDL = [
    # Stored vectors: an expression index alone made PostgreSQL recompute to_tsvector for every
    # row whenever it chose a scan (common 2-character terms), seconds per search at 5,000 articles.
    """ALTER TABLE knowledge_articlesearchtext ADD COLUMN IF NOT EXISTS head_vector tsvector
        GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, head_terms)) STORED""",
    """ALTER TABLE knowledge_articlesearchtext ADD COLUMN IF NOT EXISTS body_vector tsvector
        GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, body_terms)) STORED""",
    "CREATE INDEX IF NOT EXISTS knowledge_search_head_gin ON knowledge_articlesearchtext USING gin (head_vector)",
    "CREATE INDEX IF NOT EXISTS knowledge_search_body_gin ON knowledge_articlesearchtext USING gin (body_vector)",
    """CREATE OR REPLACE FUNCTION knowledge_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'article versions are immutable' USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    "DROP TRIGGER IF EXISTS knowledge_version_immutable ON knowledge_articleversion",
    """CREATE TRIGGER knowledge_version_immutable BEFORE UPDATE ON knowledge_articleversion
        FOR EACH ROW EXECUTE FUNCTION knowledge_version_immutable()""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS knowledge_version_immutable ON knowledge_articleversion",
    "DROP FUNCTION IF EXISTS knowledge_version_immutable()",
    "DROP INDEX IF EXISTS knowledge_search_body_gin",
    "DROP INDEX IF EXISTS knowledge_search_head_gin",
    "ALTER TABLE knowledge_articlesearchtext DROP COLUMN IF EXISTS body_vector",
    "ALTER TABLE knowledge_articlesearchtext DROP COLUMN IF EXISTS head_vector",
]


def install_database_objects(connection: Any) -> None:
    """Create the search index and the version guard; safe to run again.

    On SQLite, a migration that rebuilds ``knowledge_articlesearchtext`` or
    ``knowledge_articleversion`` (Django does so for most ALTERs there) drops their triggers: such
    a migration must call this again. ``tests/test_search.py`` checks the triggers exist.
    """
    statements = SQLITE_DDL if _vendor(connection) == "sqlite" else POSTGRES_DDL
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def remove_database_objects(connection: Any) -> None:
    statements = SQLITE_DROP if _vendor(connection) == "sqlite" else POSTGRES_DROP
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def database_objects_present(connection: Any = None) -> bool:
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if _vendor(connection) == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN "
                "('knowledge_search_inserted', 'knowledge_search_deleted', 'knowledge_search_updated', "
                "'knowledge_version_immutable')"
            )
            return cursor.fetchone()[0] == 4
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_indexes WHERE indexname IN "
            "('knowledge_search_head_gin', 'knowledge_search_body_gin')) + "
            "(SELECT count(*) FROM pg_trigger WHERE tgname = 'knowledge_version_immutable')"
        )
        return cursor.fetchone()[0] == 3


# --- queries -----------------------------------------------------------------------------------


def _fts5_phrase(part: rules.QueryPart) -> str:
    # Terms hold only letters and digits (rules._RUNS), so quoting needs no escaping.
    phrase = '"' + " ".join(part.terms) + '"'
    return phrase + (" *" if part.prefix else "")


def _tsquery_phrase(part: rules.QueryPart) -> str:
    quoted = [f"'{term}'" for term in part.terms]
    if part.prefix:
        quoted[-1] += ":*"
    return "(" + " <-> ".join(quoted) + ")"


# The statements are fixed; the query text only ever travels as a parameter. "any" looks in the
# title, tags and body at once: one subquery on the article's primary key lets the database start
# from the few matching ids instead of visiting every article of the centre.
_MATCHING_SQL = {
    ("sqlite", "any"): "SELECT rowid FROM knowledge_articlesearch_fts WHERE knowledge_articlesearch_fts MATCH %s",
    ("sqlite", "head"): "SELECT rowid FROM knowledge_articlesearch_fts WHERE knowledge_articlesearch_fts MATCH %s",
    # A UNION, not OR: with OR the planner chose a sequential scan matching every stored vector.
    ("postgresql", "any"): (
        "SELECT article_id FROM knowledge_articlesearchtext WHERE head_vector @@ to_tsquery('simple'::regconfig, %s) "
        "UNION SELECT article_id FROM knowledge_articlesearchtext "
        "WHERE body_vector @@ to_tsquery('simple'::regconfig, %s)"
    ),
    ("postgresql", "head"): (
        "SELECT article_id FROM knowledge_articlesearchtext WHERE head_vector @@ to_tsquery('simple'::regconfig, %s)"
    ),
}


def _matching_ids(part: rules.QueryPart, where: str) -> RawSQL:
    """SQL for the ids of articles that contain the phrase `part` in the title or tags ("head")
    or anywhere ("any")."""
    vendor = _vendor()
    sql = _MATCHING_SQL[(vendor, where)]
    if vendor == "sqlite":
        # Without a column filter FTS5 searches every column; {head_terms} : "具发 发票" only one.
        parameters = [("{head_terms} : " if where == "head" else "") + _fts5_phrase(part)]
    else:
        parameters = [_tsquery_phrase(part)] * sql.count("%s")
    return RawSQL(sql, parameters)  # noqa: S611 - fixed SQL, parameters bound


# The matching ids are fetched first and passed to the article query as a list, so that it starts
# from them. As subqueries, SQLite's planner (without ANALYZE statistics) preferred the centre and
# status index and visited every article of the centre, and PostgreSQL's matched every stored
# vector of a sequential scan. Beyond this many ids (bound parameters have limits) the subquery
# is used: visiting every article is then what it takes anyway. SQLite turns long lists into a
# temporary index for each query, slower than its own subquery from about 2,000 ids on.
ID_LIST_LIMIT = {"sqlite": 2000, "postgresql": 20000}
ARRAY_FROM = 100


def _ids_or_subqueries(subqueries: list[RawSQL]) -> list[list[int] | RawSQL]:
    """For each subquery, its ids as a list, or the subquery itself when it has too many."""
    vendor = _vendor()
    limit = ID_LIST_LIMIT[vendor]
    out: list[list[int] | RawSQL] = []
    with contextlib.ExitStack() as stack:
        cursor = stack.enter_context(default_connection.cursor())
        if vendor == "postgresql":
            # PostgreSQL prices matching a stored tsvector as one cheap operator per row and picks
            # a sequential scan for the body vectors; reading and matching every vector took 50 ms
            # and more at 5,000 articles where the GIN index answers in about one. For these
            # statements only: the old value is put back before the savepoint is released.
            stack.enter_context(transaction.atomic())
            cursor.execute("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)")
            previous = cursor.fetchone()[0]
        for subquery in subqueries:
            cursor.execute(f"{subquery.sql} LIMIT {limit + 1}", subquery.params)
            ids = [row[0] for row in cursor.fetchall()]
            if len(ids) > limit:
                out.append(subquery)
            elif vendor == "postgresql" and len(ids) > ARRAY_FROM:
                # One array parameter instead of thousands: binding and planning them cost more
                # than the search.
                out.append(RawSQL("SELECT unnest(%s::integer[])", [ids]))
            else:
                out.append(ids)
        if vendor == "postgresql":
            cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [previous])
    return out


def _contains(part: rules.QueryPart, where: str) -> Q:
    """A part the index cannot answer (a lone Chinese character): substring of the normalised text."""
    head = Q(search_text__head_text__contains=part.text)
    return head if where == "head" else head | Q(search_text__body_text__contains=part.text)


def matching(queryset: QuerySet, query: str) -> QuerySet:
    """`queryset` (of Article) limited to articles that contain every part of `query` (in the title,
    tags or body), annotated with `head_hit` (1 when title and tags alone contain every part) and
    ordered by it. A query without letters, digits or Chinese characters finds nothing."""
    parts = rules.query_parts(query)
    if not parts:
        return queryset.none()
    indexed = [part for part in parts if part.indexable]
    fetched = iter(_ids_or_subqueries([_matching_ids(p, where) for p in indexed for where in ("any", "head")]))
    found = Q()
    in_head = Q()
    head_possible = True
    for part in parts:
        if part.indexable:
            found &= Q(pk__in=next(fetched))
            head_ids = next(fetched)
            head_possible = head_possible and head_ids != []
            in_head &= Q(pk__in=head_ids)
        else:
            found &= _contains(part, "any")
            in_head &= _contains(part, "head")
    queryset = queryset.filter(found)
    if not head_possible:
        # CASE over an empty list folds to a constant, which PostgreSQL refuses to ORDER BY.
        return queryset.annotate(head_hit=Value(0, output_field=IntegerField())).order_by("-published_at", "-pk")
    return queryset.annotate(
        head_hit=Case(When(in_head, then=Value(1)), default=Value(0), output_field=IntegerField())
    ).order_by("-head_hit", "-published_at", "-pk")
