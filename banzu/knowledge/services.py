"""Writes of the knowledge base (KB-1, KB-2): articles and their versions, categories, quick phrases.

Every public function checks the permission, validates, writes in one transaction and records who
did it in the audit history. Article content is never changed in place: a revision adds version
n+1 and points the article at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from banzu.core import scoping
from banzu.core.errors import Conflict, NotAllowed, OutOfScope, invalid
from banzu.knowledge import rules, search, selectors
from banzu.knowledge.models import Article, ArticleSearchText, ArticleVersion, Category, QuickPhrase
from banzu.org.models import Centre, Department, Employee

TITLE_MAX = 200
BODY_MAX = 20000
NOTE_MAX = 200
PHRASE_TEXT_MAX = 1000
PHRASE_TITLE_MAX = 50


def _recorded_by(instance: Any, user: Any, reason: str = "") -> Any:
    """Name who made the change in the instance's history row; commands run without a user."""
    if getattr(user, "pk", None):
        instance._history_user = user
    if reason:
        instance._change_reason = reason[:100]
    return instance


def _user_or_none(user: Any) -> Any:
    return user if getattr(user, "pk", None) else None


def _centre_of(user: Any) -> Centre:
    actor = scoping.actor_for(user)
    centre = Centre.objects.filter(pk=actor.centre_id).first() if actor.centre_id else None
    if centre is None:
        raise invalid("centre", _("Only staff of a centre can write its knowledge base."), code="no_centre")
    return centre


# --- validation ---------------------------------------------------------------------------------


def _clean_text(field: str, value: str, *, maximum: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise invalid(field, _("This field is required."), code="required")
    if len(value) > maximum:
        raise invalid(field, _("Enter at most %(max)s characters.") % {"max": maximum}, code="max_length")
    return value


def _clean_tags(tags: Any) -> list[str]:
    cleaned = rules.normalise_tags(tags or [])
    problem = rules.tags_problem(cleaned)
    if problem == "too_many_tags":
        raise invalid("tags", _("Enter at most %(max)s tags.") % {"max": rules.MAX_TAGS}, code=problem)
    if problem == "tag_too_long":
        raise invalid("tags", _("A tag has at most %(max)s characters.") % {"max": rules.MAX_TAG_LENGTH}, code=problem)
    return cleaned


def _check_validity(valid_from: date | None, valid_until: date | None) -> None:
    if not rules.validity_in_order(valid_from, valid_until):
        raise invalid("valid_until", _("The end of validity cannot be before its start."), code="validity_order")


def _check_category(category: Category | None, centre: Centre) -> None:
    if category is not None and category.centre_id != centre.pk:
        raise invalid("category", _("Choose a category of your centre."), code="category_other_centre")


def _check_department(user: Any, department: Department | None, centre: Centre) -> None:
    """Centre-wide articles need centre-wide editors; a department article, an editor in its scope."""
    if department is None:
        if scoping.scope_for(user, "knowledge.edit") < scoping.Scope.CENTRE:
            raise invalid(
                "department",
                _("Choose your department: only centre-wide editors write articles for the whole centre."),
                code="department_required",
            )
        return
    allowed = scoping.restrict(Department.objects.filter(centre=centre), user, "knowledge.edit")
    if not allowed.filter(pk=department.pk).exists():
        raise invalid("department", _("You cannot write articles for this department."), code="department_not_allowed")


def _check_owner(owner: Employee | None, centre: Centre) -> None:
    if owner is not None and owner.centre_id != centre.pk:
        raise invalid("owner", _("Choose an owner from your centre."), code="owner_other_centre")


# --- articles -----------------------------------------------------------------------------------


def _add_version(*, article: Article, title: str, body: str, note: str, user: Any, now: datetime) -> ArticleVersion:
    latest = article.versions.aggregate(latest=Max("number"))["latest"]
    version = ArticleVersion.objects.create(
        article=article,
        number=rules.next_version_number(latest),
        title=title,
        body=body,
        change_note=note,
        changed_by=_user_or_none(user),
        changed_at=now,
    )
    article.current_version = version
    article.title = title
    return version


def _store_search_text(article: Article, body: str) -> None:
    fields = search.search_fields(title=article.title, tags=article.tags, body=body)
    ArticleSearchText.objects.update_or_create(article=article, defaults=fields)


def _write_new_article(
    *,
    user: Any,
    centre: Centre,
    title: str,
    body: str,
    category: Category | None,
    tags: list[str],
    valid_from: date | None,
    valid_until: date | None,
    department: Department | None,
    owner: Employee | None,
    change_note: str,
    publish: bool,
    seed_key: str,
    now: datetime,
) -> Article:
    article = Article(
        centre=centre,
        department=department,
        category=category,
        title=title,
        tags=tags,
        valid_from=valid_from,
        valid_until=valid_until,
        owner=owner,
        seed_key=seed_key,
        status=Article.Status.PUBLISHED if publish else Article.Status.DRAFT,
        published_at=now if publish else None,
    )
    _recorded_by(article, user, change_note).save()
    _add_version(article=article, title=title, body=body, note=change_note, user=user, now=now)
    # Second history row: the article now points at its first version.
    _recorded_by(article, user).save(update_fields=["current_version", "title", "updated_at"])
    _store_search_text(article, body)
    return article


@transaction.atomic
def create_article(
    *,
    user: Any,
    title: str,
    body: str,
    category: Category | None = None,
    tags: Any = (),
    valid_from: date | None = None,
    valid_until: date | None = None,
    department: Department | None = None,
    owner: Employee | None = None,
    change_note: str = "",
    publish: bool = False,
    now: datetime | None = None,
) -> Article:
    """A new article (a draft unless `publish`) with version 1. Owner: the author unless given."""
    scoping.ensure_can(user, "knowledge.edit")
    centre = _centre_of(user)
    title = _clean_text("title", title, maximum=TITLE_MAX)
    body = _clean_text("body", body, maximum=BODY_MAX)
    note = _clean_text("change_note", change_note, maximum=NOTE_MAX, required=False) or _("First version.")
    tags = _clean_tags(tags)
    _check_validity(valid_from, valid_until)
    _check_category(category, centre)
    _check_department(user, department, centre)
    if owner is None:
        owner = Employee.objects.filter(pk=scoping.actor_for(user).employee_id).first()
    _check_owner(owner, centre)
    return _write_new_article(
        user=user,
        centre=centre,
        title=title,
        body=body,
        category=category,
        tags=tags,
        valid_from=valid_from,
        valid_until=valid_until,
        department=department,
        owner=owner,
        change_note=note,
        publish=publish,
        seed_key="",
        now=now or timezone.now(),
    )


def _locked_for_edit(user: Any, article: Article) -> Article:
    """The article row, locked so that two revisions get numbers n+1 and n+2, never n+1 twice."""
    selectors.article_for_editor(user, article.pk)
    return Article.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=article.pk)


@transaction.atomic
def revise_article(
    *,
    user: Any,
    article: Article,
    title: str,
    body: str,
    change_note: str,
    category: Category | None,
    tags: Any,
    valid_from: date | None,
    valid_until: date | None,
    owner: Employee | None = None,
    now: datetime | None = None,
) -> Article:
    """Save the editor's form. Changed title or body: version n+1 (needs a change note); category,
    tags, validity and owner change on the article and show in its history."""
    article = _locked_for_edit(user, article)
    title = _clean_text("title", title, maximum=TITLE_MAX)
    body = _clean_text("body", body, maximum=BODY_MAX)
    note = _clean_text("change_note", change_note, maximum=NOTE_MAX, required=False)
    tags = _clean_tags(tags)
    _check_validity(valid_from, valid_until)
    _check_category(category, article.centre)
    owner = owner or article.owner
    _check_owner(owner, article.centre)
    current = article.current_version
    content_changed = current is None or current.title != title or current.body != body
    details = {
        "category_id": category.pk if category else None,
        "tags": tags,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "owner_id": owner.pk if owner else None,
    }
    details_changed = any(getattr(article, field) != value for field, value in details.items())
    if not content_changed and not details_changed:
        raise invalid("body", _("Nothing has changed."), code="unchanged")
    if content_changed and not note:
        raise invalid("change_note", _("Say what changed in this version."), code="required")
    for field, value in details.items():
        setattr(article, field, value)
    if content_changed:
        _add_version(article=article, title=title, body=body, note=note, user=user, now=now or timezone.now())
    _recorded_by(article, user, note).save()
    _store_search_text(article, article.current_version.body)
    return article


def _change_status(*, user: Any, article: Article, target: str, now: datetime | None) -> Article:
    article = _locked_for_edit(user, article)
    if not rules.can_change_status(article.status, target):
        raise Conflict(
            _("The article is %(status)s and cannot be changed that way.") % {"status": article.get_status_display()},
            code="wrong_status",
        )
    article.status = target
    if target == Article.Status.PUBLISHED:
        article.published_at = now or timezone.now()
    _recorded_by(article, user).save(update_fields=["status", "published_at", "updated_at"])
    return article


@transaction.atomic
def publish_article(*, user: Any, article: Article, now: datetime | None = None) -> Article:
    """Draft or archived → published: agents see it (within its validity) and search finds it."""
    return _change_status(user=user, article=article, target=Article.Status.PUBLISHED, now=now)


@transaction.atomic
def archive_article(*, user: Any, article: Article) -> Article:
    """Published or draft → archived: hidden from agents and search; versions stay citable."""
    return _change_status(user=user, article=article, target=Article.Status.ARCHIVED, now=None)


# --- categories ---------------------------------------------------------------------------------


@transaction.atomic
def create_category(*, user: Any, name: str, parent: Category | None = None, sort_order: int = 0) -> Category:
    scoping.ensure_can(user, "knowledge.edit")
    centre = _centre_of(user)
    name = _clean_text("name", name, maximum=50)
    _check_category(parent, centre)
    if Category.objects.filter(centre=centre, parent=parent, name=name).exists():
        raise invalid("name", _("There is already a category %(name)s here.") % {"name": name}, code="duplicate")
    category = Category(centre=centre, parent=parent, name=name, sort_order=sort_order)
    _recorded_by(category, user).save()
    return category


# --- quick phrases ------------------------------------------------------------------------------


def _clean_phrase(*, shortcut: str, title: str, text: str) -> tuple[str, str, str]:
    shortcut = rules.normalise_shortcut(shortcut or "")
    if not rules.shortcut_is_valid(shortcut):
        raise invalid(
            "shortcut",
            _("A shortcut is a slash and up to 30 letters or digits, such as /greet."),
            code="invalid_shortcut",
        )
    title = _clean_text("title", title, maximum=PHRASE_TITLE_MAX)
    text = _clean_text("text", text, maximum=PHRASE_TEXT_MAX)
    return shortcut, title, text


def _check_shortcut_free(*, centre: Centre, owner: Employee | None, shortcut: str, exclude: int | None) -> None:
    same = QuickPhrase.objects.filter(shortcut=shortcut)
    same = same.filter(owner=owner) if owner else same.filter(centre=centre, owner__isnull=True)
    if same.exclude(pk=exclude).exists():
        raise invalid(
            "shortcut", _("The shortcut %(shortcut)s is already in use.") % {"shortcut": shortcut}, code="duplicate"
        )


def _ensure_may_change_phrase(user: Any, phrase: QuickPhrase) -> None:
    if phrase.owner_id is None:
        scoping.ensure_can(user, "knowledge.edit")
        return
    scoping.ensure_can(user, "knowledge.change_own_phrases")
    if phrase.owner_id != scoping.actor_for(user).employee_id:
        raise OutOfScope()


@transaction.atomic
def create_quick_phrase(
    *, user: Any, shortcut: str, title: str, text: str, category: Category | None = None, shared: bool = False
) -> QuickPhrase:
    """A personal quick phrase, or one shared with the centre (editors only)."""
    scoping.ensure_can(user, "knowledge.edit" if shared else "knowledge.change_own_phrases")
    centre = _centre_of(user)
    shortcut, title, text = _clean_phrase(shortcut=shortcut, title=title, text=text)
    _check_category(category, centre)
    owner = None if shared else Employee.objects.get(pk=scoping.actor_for(user).employee_id)
    _check_shortcut_free(centre=centre, owner=owner, shortcut=shortcut, exclude=None)
    phrase = QuickPhrase(centre=centre, owner=owner, shortcut=shortcut, title=title, text=text, category=category)
    _recorded_by(phrase, user).save()
    return phrase


@transaction.atomic
def update_quick_phrase(
    *, user: Any, phrase: QuickPhrase, shortcut: str, title: str, text: str, category: Category | None = None
) -> QuickPhrase:
    phrase = QuickPhrase.objects.select_for_update().get(pk=selectors.quick_phrase_for(user, phrase.pk).pk)
    _ensure_may_change_phrase(user, phrase)
    shortcut, title, text = _clean_phrase(shortcut=shortcut, title=title, text=text)
    _check_category(category, phrase.centre)
    _check_shortcut_free(centre=phrase.centre, owner=phrase.owner, shortcut=shortcut, exclude=phrase.pk)
    phrase.shortcut, phrase.title, phrase.text, phrase.category = shortcut, title, text, category
    _recorded_by(phrase, user).save()
    return phrase


@transaction.atomic
def delete_quick_phrase(*, user: Any, phrase: QuickPhrase) -> None:
    phrase = selectors.quick_phrase_for(user, phrase.pk)
    _ensure_may_change_phrase(user, phrase)
    _recorded_by(phrase, user).delete()


# --- standard scripts (KB-2) ----------------------------------------------------------------------


@dataclass(frozen=True)
class StandardScriptsResult:
    category: Category
    articles_created: int
    articles_present: int
    phrases_created: int
    phrases_present: int


@transaction.atomic
def load_standard_scripts(
    *, centre: Centre, user: Any = None, today: date | None = None, now: datetime | None = None
) -> StandardScriptsResult:
    """Load the standard scripts (标准用语) as published articles and shared quick phrases.

    Idempotent: articles are found again by their seed key and quick phrases by their shortcut, so
    running it twice, or after editors revised a script, adds only what is missing and changes
    nothing. Without `user` it runs as the system (commands, the demo builder); with one, that
    user must be a centre-wide editor of `centre`.
    """
    from banzu.knowledge import standard_scripts

    if user is not None:
        scoping.ensure_can(user, "knowledge.edit")
        if scoping.actor_for(user).centre_id != centre.pk or scoping.scope_for(user, "knowledge.edit") < (
            scoping.Scope.CENTRE
        ):
            raise NotAllowed(code="not_centre_editor")
    now = now or timezone.now()
    category = Category.objects.filter(centre=centre, parent=None, name=standard_scripts.CATEGORY).first()
    if category is None:
        category = _recorded_by(Category(centre=centre, name=standard_scripts.CATEGORY), user)
        category.save()
    present = set(Article.objects.filter(centre=centre).exclude(seed_key="").values_list("seed_key", flat=True))
    articles_created = 0
    for script in standard_scripts.ARTICLES:
        if script.key in present:
            continue
        _write_new_article(
            user=user,
            centre=centre,
            title=script.title,
            body=script.body,
            category=category,
            tags=list(script.tags),
            valid_from=today,
            valid_until=None,
            department=None,
            owner=None,
            change_note=standard_scripts.CHANGE_NOTE,
            publish=True,
            seed_key=script.key,
            now=now,
        )
        articles_created += 1
    shortcuts = set(QuickPhrase.objects.filter(centre=centre, owner__isnull=True).values_list("shortcut", flat=True))
    phrases_created = 0
    for item in standard_scripts.QUICK_PHRASES:
        if item.shortcut in shortcuts:
            continue
        phrase = QuickPhrase(centre=centre, shortcut=item.shortcut, title=item.title, text=item.text, category=category)
        _recorded_by(phrase, user).save()
        phrases_created += 1
    return StandardScriptsResult(
        category=category,
        articles_created=articles_created,
        articles_present=len(standard_scripts.ARTICLES) - articles_created,
        phrases_created=phrases_created,
        phrases_present=len(standard_scripts.QUICK_PHRASES) - phrases_created,
    )
