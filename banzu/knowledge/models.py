"""Knowledge base (KB-1, KB-2): categories, articles with immutable versions, quick phrases.

An article's content (title, body) lives in `ArticleVersion` rows that are never changed after
they are written: a work-order answer cites the version it used (WO-5), so what the agent read
stays readable word for word. The article row carries what may change without a new version
(category, tags, validity, owner, status) and keeps audit history of that.

`ArticleSearchText` is derived data for search (see `banzu.knowledge.search`); services rewrite it
whenever the content of an article changes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from banzu.org.models import Centre, Department, Employee


class Category(models.Model):
    """A folder of articles and quick phrases; `parent` makes a tree (e.g. 标准用语 › 问候)."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    name = models.CharField(_("name"), max_length=50)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("knowledge category")
        verbose_name_plural = _("knowledge categories")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "parent", "name"],
                condition=Q(parent__isnull=False),
                name="knowledge_category_name_unique_in_parent",
            ),
            models.UniqueConstraint(
                fields=["centre", "name"],
                condition=Q(parent__isnull=True),
                name="knowledge_top_category_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
        help_text=_("Empty: the whole centre reads the article. Otherwise only this department does."),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("category"),
    )
    title = models.CharField(_("title"), max_length=200, help_text=_("The title of the current version."))
    tags = models.JSONField(_("tags"), default=list, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    owner = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    current_version = models.ForeignKey(
        "ArticleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current version"),
    )
    # Set for articles loaded from the standard scripts, so that loading them again finds them.
    seed_key = models.CharField(_("seed key"), max_length=50, blank=True, default="")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="knowledge_article_validity_in_order",
            ),
            models.UniqueConstraint(
                fields=["centre", "seed_key"], condition=~Q(seed_key=""), name="knowledge_article_seed_key_unique"
            ),
        ]
        indexes = [models.Index(fields=["centre", "status"])]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    """One immutable state of an article's content. Written once; the database refuses updates."""

    article = models.ForeignKey(
        Article, on_delete=models.PROTECT, related_name="versions", verbose_name=_("knowledge article")
    )
    number = models.PositiveIntegerField(_("version number"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    change_note = models.CharField(_("change note"), max_length=200)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="knowledge_version_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="knowledge_version_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"


class ArticleSearchText(models.Model):
    """Search data of an article's current content: normalised text and its index terms."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="search_text", verbose_name=_("article")
    )
    head_text = models.TextField(_("title and tags, normalised"))
    body_text = models.TextField(_("body, normalised"))
    head_terms = models.TextField(_("title and tag terms"))
    body_terms = models.TextField(_("body terms"))

    class Meta:
        verbose_name = _("article search text")
        verbose_name_plural = _("article search texts")

    def __str__(self) -> str:
        return str(self.article_id)


class QuickPhrase(models.Model):
    """快捷短语: a chat text behind a shortcut; personal (owner set) or shared by the centre."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    owner = models.ForeignKey(
        Employee,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
        help_text=_("Empty: shared with the whole centre."),
    )
    shortcut = models.CharField(_("shortcut"), max_length=31)
    title = models.CharField(_("name"), max_length=50)
    text = models.TextField(_("text"))
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quick_phrases",
        verbose_name=_("category"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["shortcut", "pk"]
        verbose_name = _("quick phrase")
        verbose_name_plural = _("quick phrases")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "shortcut"],
                condition=Q(owner__isnull=True),
                name="knowledge_shared_shortcut_unique",
            ),
            models.UniqueConstraint(
                fields=["owner", "shortcut"],
                condition=Q(owner__isnull=False),
                name="knowledge_personal_shortcut_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shortcut} {self.title}"

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None
