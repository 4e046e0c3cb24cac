"""Pages of the knowledge base: list and search, article with versions, editor, quick phrases."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from banzu.core import scoping
from banzu.core.errors import NotAllowed
from banzu.core.views import _apply_validation_error
from banzu.knowledge import rules, selectors, services
from banzu.knowledge.forms import ArticleForm, QuickPhraseForm
from banzu.knowledge.models import Article

PAGE_SIZE = 20
MAX_QUERY_LENGTH = 50


def _partial(request) -> bool:
    # A history restore (back button after hx-push-url, cache miss) needs the whole page.
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def article_list(request):
    """KB-1: published articles valid today, or search results (title matches first)."""
    scoping.ensure_can(request.user, "knowledge.view")
    user = request.user
    today = timezone.localdate()
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    can_edit = scoping.can(user, "knowledge.edit")
    status = request.GET.get("status", "")
    categories = list(selectors.categories_for(user))
    category = next((c for c in categories if str(c.pk) == request.GET.get("category")), None)
    if query:
        articles = selectors.search_articles(user, query, only_valid_on=today)
        if category is not None:
            articles = articles.filter(category=category)
    elif can_edit and status in Article.Status.values:
        articles = selectors.articles_readable_by(user).filter(status=status).order_by("-updated_at", "-pk")
        if category is not None:
            articles = articles.filter(category=category)
    else:
        status = ""
        articles = selectors.published_articles(user, on=today, category=category)
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for article in page:
        body = article.current_version.body if article.current_version else ""
        rows.append((article, rules.excerpt(body, query) if query else rules.excerpt(body, "", width=120)))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "rows": rows,
        "query": query,
        "status": status,
        "category": category,
        "categories": categories,
        "statuses": Article.Status.choices,
        "can_edit": can_edit,
        "query_string": params.urlencode(),
        "today": today,
    }
    template = "knowledge/_results.html" if _partial(request) else "knowledge/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def article_detail(request, pk: int):
    article = selectors.article_for_reader(request.user, pk)
    versions = list(selectors.versions_of(article))
    shown = versions[0] if versions else None
    wanted = request.GET.get("version", "")
    if wanted.isdigit():
        shown = next((v for v in versions if v.number == int(wanted)), shown)
    today = timezone.localdate()
    return render(
        request,
        "knowledge/article.html",
        {
            "article": article,
            "versions": versions,
            "shown": shown,
            "is_current": shown is not None and shown.pk == article.current_version_id,
            "valid_today": rules.is_valid_on(article.valid_from, article.valid_until, today),
            "can_edit": selectors.can_edit_article(request.user, article),
            "can_publish": rules.can_change_status(article.status, Article.Status.PUBLISHED),
            "can_archive": rules.can_change_status(article.status, Article.Status.ARCHIVED),
        },
    )


@require_http_methods(["GET", "POST"])
def article_create(request):
    scoping.ensure_can(request.user, "knowledge.edit")
    form = ArticleForm(request.POST or None, user=request.user, creating=True)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                article = services.create_article(
                    user=request.user,
                    title=data["title"],
                    body=data["body"],
                    category=data["category"],
                    tags=data["tags"],
                    valid_from=data["valid_from"],
                    valid_until=data["valid_until"],
                    department=data.get("department"),
                    change_note=data["change_note"],
                    publish="publish" in request.POST,
                )
                messages.success(request, _("Article saved."))
                return redirect("knowledge:article", pk=article.pk)
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        status = 422
    return render(request, "knowledge/article_form.html", {"form": form, "article": None}, status=status)


@require_http_methods(["GET", "POST"])
def article_edit(request, pk: int):
    if request.method == "POST":  # not allowed answers 403 before scope answers 404, as in the API
        scoping.ensure_can(request.user, "knowledge.edit")
    article = selectors.article_for_editor(request.user, pk)
    current = article.current_version
    initial = {
        "title": article.title,
        "category": article.category_id,
        "tags": ", ".join(article.tags),
        "valid_from": article.valid_from,
        "valid_until": article.valid_until,
        "body": current.body if current else "",
    }
    form = ArticleForm(request.POST or None, user=request.user, creating=False, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.revise_article(
                    user=request.user,
                    article=article,
                    title=data["title"],
                    body=data["body"],
                    change_note=data["change_note"],
                    category=data["category"],
                    tags=data["tags"],
                    valid_from=data["valid_from"],
                    valid_until=data["valid_until"],
                )
                messages.success(request, _("Article saved."))
                return redirect("knowledge:article", pk=article.pk)
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        status = 422
    return render(request, "knowledge/article_form.html", {"form": form, "article": article}, status=status)


@require_POST
def article_publish(request, pk: int):
    scoping.ensure_can(request.user, "knowledge.edit")
    article = selectors.article_for_editor(request.user, pk)
    services.publish_article(user=request.user, article=article)
    messages.success(request, _("Article published."))
    return redirect("knowledge:article", pk=pk)


@require_POST
def article_archive(request, pk: int):
    scoping.ensure_can(request.user, "knowledge.edit")
    article = selectors.article_for_editor(request.user, pk)
    services.archive_article(user=request.user, article=article)
    messages.success(request, _("Article archived."))
    return redirect("knowledge:article", pk=pk)


# --- quick phrases --------------------------------------------------------------------------------


def _phrase_rows(user):
    values = selectors.placeholder_values_for(user)
    return [
        (phrase, rules.render_quick_phrase(phrase.text, values), selectors.can_change_phrase(user, phrase))
        for phrase in selectors.quick_phrases_for(user)
    ]


@require_http_methods(["GET", "POST"])
def quick_phrases(request):
    """The user's quick phrases and the centre's shared ones, with a form to add one."""
    if request.method == "POST":
        scoping.ensure_can(request.user, "knowledge.change_own_phrases")
    else:
        scoping.ensure_can(request.user, "knowledge.view")
    allow_shared = scoping.can(request.user, "knowledge.edit")
    form = QuickPhraseForm(request.POST or None, user=request.user, allow_shared=allow_shared)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.create_quick_phrase(
                    user=request.user,
                    shortcut=data["shortcut"],
                    title=data["title"],
                    text=data["text"],
                    category=data["category"],
                    shared=bool(data.get("shared")),
                )
                messages.success(request, _("Quick phrase saved."))
                if request.htmx:
                    return HttpResponseClientRedirect(request.path)
                return redirect("knowledge:quick_phrases")
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        status = 422
    context = {"form": form, "rows": _phrase_rows(request.user), "placeholders": _placeholder_names()}
    template = "knowledge/_quick_phrase_form.html" if _partial(request) and request.method == "POST" else None
    return render(request, template or "knowledge/quick_phrases.html", context, status=status)


def _placeholder_names() -> list[str]:
    return [rules.CUSTOMER_ADDRESS, rules.AGENT_NUMBER]


@require_http_methods(["GET", "POST"])
def quick_phrase_edit(request, pk: int):
    phrase = selectors.quick_phrase_for(request.user, pk)
    if not selectors.can_change_phrase(request.user, phrase):
        raise NotAllowed(_("You cannot change this quick phrase."), code="not_owner_of_phrase")
    initial = {"shortcut": phrase.shortcut, "title": phrase.title, "text": phrase.text, "category": phrase.category_id}
    form = QuickPhraseForm(request.POST or None, user=request.user, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_quick_phrase(
                    user=request.user,
                    phrase=phrase,
                    shortcut=data["shortcut"],
                    title=data["title"],
                    text=data["text"],
                    category=data["category"],
                )
                messages.success(request, _("Quick phrase saved."))
                return redirect("knowledge:quick_phrases")
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        status = 422
    return render(
        request,
        "knowledge/quick_phrase_edit.html",
        {"form": form, "phrase": phrase, "placeholders": _placeholder_names()},
        status=status,
    )


@require_POST
def quick_phrase_delete(request, pk: int):
    phrase = selectors.quick_phrase_for(request.user, pk)
    services.delete_quick_phrase(user=request.user, phrase=phrase)
    messages.success(request, _("Quick phrase deleted."))
    return redirect("knowledge:quick_phrases")
