"""Reads of the knowledge base, restricted to what the user may see (KB-1)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from banzu.core import scoping
from banzu.core.errors import NotAllowed, OutOfScope
from banzu.knowledge import rules, search
from banzu.knowledge.models import Article, ArticleVersion, Category, QuickPhrase
from banzu.org.models import Department

# Fetched with prefetch_related (one query each for the rows of a page) rather than joins: a search
# sorts every matching article, and joined rows made that sort several times slower.
ARTICLE_RELATED = ("category", "current_version")


def centres_for(user: Any, action: str) -> QuerySet:
    """Ids of the centres in which `user` holds `action` (a values queryset, used as a subquery).

    Asked through the departments the user may `action` in, so that core.scoping decides: a role
    that grants the action covers at least the person's own department, hence their centre.
    """
    return scoping.restrict(Department.objects.all(), user, action).values("centre_id")


def articles_readable_by(user: Any) -> QuerySet[Article]:
    """Centre-wide articles of the user's centre and department articles in their scope.

    Editors also see drafts and archived articles; everybody else only published ones.
    """
    in_scope = scoping.restrict(Article.objects.all(), user, "knowledge.view")
    centre_wide = Article.objects.filter(department__isnull=True, centre_id__in=centres_for(user, "knowledge.view"))
    queryset = in_scope | centre_wide
    if not scoping.can(user, "knowledge.edit"):
        queryset = queryset.filter(status=Article.Status.PUBLISHED)
    return queryset.prefetch_related(*ARTICLE_RELATED)


def _valid_on(day: date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )


def published_articles(user: Any, *, on: date, category: Category | None = None) -> QuerySet[Article]:
    """What an agent may use on `on`: published and valid that day, newest first."""
    queryset = articles_readable_by(user).filter(_valid_on(on), status=Article.Status.PUBLISHED)
    if category is not None:
        queryset = queryset.filter(category=category)
    return queryset.order_by("-published_at", "-pk")


def search_articles(user: Any, query: str, *, only_valid_on: date) -> QuerySet[Article]:
    """KB-1 search: published articles valid on `only_valid_on` that contain the query.

    Matches in the title or tags rank above matches in the body only (annotation `head_hit`).
    The index lookup runs when this is called; the articles are fetched when the queryset is.
    """
    queryset = articles_readable_by(user).filter(_valid_on(only_valid_on), status=Article.Status.PUBLISHED)
    return search.matching(queryset, query)


def article_for_reader(user: Any, pk: int) -> Article:
    article = articles_readable_by(user).select_related("owner", "department").filter(pk=pk).first()
    if article is None:
        raise OutOfScope()
    return article


def editable_articles(user: Any) -> QuerySet[Article]:
    return scoping.restrict(Article.objects.all(), user, "knowledge.edit")


def article_for_editor(user: Any, pk: int) -> Article:
    """The article if the user may change it; 404 when they cannot even read it, else 403."""
    article = article_for_reader(user, pk)
    if not editable_articles(user).filter(pk=article.pk).exists():
        raise NotAllowed(_("You cannot change this article."), code="not_editor_of_article")
    return article


def can_edit_article(user: Any, article: Article) -> bool:
    return editable_articles(user).filter(pk=article.pk).exists()


def versions_of(article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("changed_by").order_by("-number")


def version_readable_by(user: Any, pk: int) -> ArticleVersion:
    """One version by id, as a work order cites it (WO-5); any version of a readable article."""
    version = (
        ArticleVersion.objects.filter(pk=pk, article__in=articles_readable_by(user).values("pk"))
        .select_related("article", "changed_by")
        .first()
    )
    if version is None:
        raise OutOfScope()
    return version


def categories_for(user: Any) -> QuerySet[Category]:
    return Category.objects.filter(centre_id__in=centres_for(user, "knowledge.view")).select_related("parent")


def quick_phrases_for(user: Any) -> QuerySet[QuickPhrase]:
    """The user's own quick phrases and the ones shared in their centre; own ones first."""
    actor = scoping.actor_for(user)
    shared = Q(owner__isnull=True, centre_id__in=centres_for(user, "knowledge.view"))
    own = Q(owner_id=actor.employee_id) if actor.employee_id and scoping.can(user, "knowledge.view") else Q(pk__in=[])
    return (
        QuickPhrase.objects.filter(shared | own).select_related("category", "owner").order_by("shortcut", "-owner_id")
    )


def quick_phrase_for(user: Any, pk: int) -> QuickPhrase:
    phrase = quick_phrases_for(user).filter(pk=pk).first()
    if phrase is None:
        raise OutOfScope()
    return phrase


def can_change_phrase(user: Any, phrase: QuickPhrase) -> bool:
    """Shared phrases: editors. Personal ones: their owner."""
    if phrase.owner_id is None:
        return scoping.can(user, "knowledge.edit")
    return scoping.can(user, "knowledge.change_own_phrases") and phrase.owner_id == scoping.actor_for(user).employee_id


def placeholder_values_for(user: Any) -> dict[str, str]:
    """What the system knows for a quick phrase of this user: their employee number (工号)."""
    actor = scoping.actor_for(user)
    if actor.employee_id is None:
        return {}
    from banzu.org.models import Employee

    number = Employee.objects.filter(pk=actor.employee_id).values_list("employee_no", flat=True).first()
    return {rules.AGENT_NUMBER: number} if number else {}
