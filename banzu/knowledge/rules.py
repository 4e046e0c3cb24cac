"""Pure rules of the knowledge base (KB-1): validity, status changes, tags, search terms, quick phrases.

No ORM, clock or settings here: callers pass the day and the values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

# --- status and validity -----------------------------------------------------------------------

DRAFT, PUBLISHED, ARCHIVED = "draft", "published", "archived"

# target status -> statuses it may be reached from
TRANSITIONS: dict[str, frozenset[str]] = {
    PUBLISHED: frozenset({DRAFT, ARCHIVED}),  # publishing an archived article brings it back
    ARCHIVED: frozenset({DRAFT, PUBLISHED}),
}


def can_change_status(current: str, target: str) -> bool:
    return current in TRANSITIONS.get(target, frozenset())


def validity_in_order(valid_from: date | None, valid_until: date | None) -> bool:
    """A validity window may be open on either side; when closed, it ends on or after it starts."""
    return valid_from is None or valid_until is None or valid_until >= valid_from


def is_valid_on(valid_from: date | None, valid_until: date | None, day: date) -> bool:
    """Both ends count: an article valid until 31 March is still valid on 31 March."""
    return (valid_from is None or valid_from <= day) and (valid_until is None or day <= valid_until)


def next_version_number(latest: int | None) -> int:
    return 1 if latest is None else latest + 1


# --- tags --------------------------------------------------------------------------------------

TAG_SEPARATORS = re.compile(r"[,，;；、\s]+")
MAX_TAG_LENGTH = 20
MAX_TAGS = 10


def normalise_tags(raw: str | Iterable[str]) -> list[str]:
    """Tags from "发票, 开票；税务" or a list: trimmed, without duplicates, in the order given."""
    parts = (
        TAG_SEPARATORS.split(raw) if isinstance(raw, str) else [p for item in raw for p in TAG_SEPARATORS.split(item)]
    )
    seen: list[str] = []
    for part in parts:
        tag = part.strip()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def tags_problem(tags: list[str]) -> str | None:
    """The code of the first problem with normalised tags, or None."""
    if len(tags) > MAX_TAGS:
        return "too_many_tags"
    if any(len(tag) > MAX_TAG_LENGTH for tag in tags):
        return "tag_too_long"
    return None


# --- search terms ------------------------------------------------------------------------------
# Chinese has no spaces between words. The index keeps every pair of neighbouring characters
# (bigram) of a run of Chinese characters as one term, in order; other letters and digits form
# words. A query becomes the same terms, searched as a phrase (terms adjacent and in order), which
# finds exactly the texts that contain the query as a substring, for 2 or more Chinese characters.
# Reasons and measurements: banzu.knowledge.search.

_CJK = (
    "\u3040-\u30ff"  # kana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
_RUNS = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])[^\W_])+)")
MAX_WORD_LENGTH = 60


def normalise_text(text: str) -> str:
    """Full-width letters and digits to half-width (NFKC), lower case: what search compares."""
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class Term:
    text: str
    cjk: bool
    single: bool = False  # a Chinese character alone (a run of one): no pair to index


def _terms(text: str) -> list[Term]:
    out: list[Term] = []
    for match in _RUNS.finditer(normalise_text(text)):
        run = match.group()
        if match.lastgroup == "cjk":
            if len(run) == 1:
                out.append(Term(run, cjk=True, single=True))
            else:
                out.extend(Term(run[i : i + 2], cjk=True) for i in range(len(run) - 1))
        else:
            out.append(Term(run[:MAX_WORD_LENGTH], cjk=False))
    return out


def index_terms(text: str) -> str:
    """The space-separated terms that the search index stores for `text`."""
    return " ".join(term.text for term in _terms(text))


@dataclass(frozen=True)
class QueryPart:
    """One whitespace-separated part of a query.

    `terms` are matched as a phrase; `prefix` marks the last term as a prefix (a word being typed,
    or a Chinese character alone at the end: 2024年 finds 2024年度). A part the index cannot answer
    (a Chinese character alone elsewhere, e.g. the query 票) has `indexable` False and is matched
    as a substring of the normalised `text`.
    """

    text: str
    terms: tuple[str, ...]
    prefix: bool
    indexable: bool


def query_parts(query: str, *, max_parts: int = 5) -> list[QueryPart]:
    parts = []
    for raw in normalise_text(query).split()[:max_parts]:
        terms = _terms(raw)
        if not terms:
            continue
        last = terms[-1]
        inner_single = any(term.single for term in terms[:-1])
        parts.append(
            QueryPart(
                text=raw,
                terms=tuple(term.text for term in terms),
                prefix=not last.cjk or last.single,
                indexable=not inner_single and not (len(terms) == 1 and last.single),
            )
        )
    return parts


def excerpt(text: str, query: str, *, width: int = 80) -> tuple[str, str, str]:
    """(before, hit, after) around the first place where a part of `query` occurs in `text`.

    Without a hit, the beginning of the text. Callers escape and highlight `hit`.
    """
    folded = normalise_text(text)
    best = None
    for part in normalise_text(query).split():
        # NFKC keeps the length of Chinese text, so positions in `folded` are positions in `text`
        # unless full-width forms were folded; then fall back to the start.
        at = folded.find(part)
        if at >= 0 and len(folded) == len(text) and (best is None or at < best[0]):
            best = (at, len(part))
    if best is None:
        cut = text[:width]
        return cut, "", "…" if len(text) > width else ""
    at, length = best
    start = max(0, at - width // 3)
    end = min(len(text), at + length + width)
    return (
        ("…" if start > 0 else "") + text[start:at],
        text[at : at + length],
        text[at + length : end] + ("…" if end < len(text) else ""),
    )


# --- quick phrases -----------------------------------------------------------------------------

# Placeholders every quick phrase may use (ux.md §1): the customer's form of address, filled in
# by the agent, and the agent's employee number, filled in by the system.
CUSTOMER_ADDRESS = "客户称呼"
AGENT_NUMBER = "工号"

SHORTCUT = re.compile(r"^/[^\W_][\w-]{0,29}$")
PLACEHOLDER = re.compile(r"\{([^{}\s]{1,20})\}")


def normalise_shortcut(raw: str) -> str:
    """ "greet" and "/Greet " both become "/greet"."""
    text = normalise_text(raw.strip())
    return text if text.startswith("/") else f"/{text}"


def shortcut_is_valid(shortcut: str) -> bool:
    return bool(SHORTCUT.match(shortcut))


def placeholders(text: str) -> list[str]:
    """Placeholder names in order of first use: "{客户称呼}您好，{工号}…" → ["客户称呼", "工号"]."""
    names: list[str] = []
    for match in PLACEHOLDER.finditer(text):
        if match.group(1) not in names:
            names.append(match.group(1))
    return names


def render_quick_phrase(text: str, values: Mapping[str, str]) -> str:
    """Fill the placeholders that have a non-empty value; others stay visible as {name}.

    An agent sees what is still missing and completes it before sending (ux.md §1, right rail).
    """

    def fill(match: re.Match) -> str:
        value = values.get(match.group(1))
        return str(value) if value not in (None, "") else match.group(0)

    return PLACEHOLDER.sub(fill, text)
