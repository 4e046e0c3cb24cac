"""Admin of the knowledge base: read-only, with history.

Articles, versions and quick phrases are written through the knowledge pages and API, which call
banzu.knowledge.services (permission checks, new versions, search index). The admin only looks.
"""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from banzu.knowledge.models import Article, ArticleVersion, Category, QuickPhrase


class ReadOnlyMixin:
    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["name", "parent", "centre", "sort_order"]
    list_select_related = ["parent", "centre"]
    search_fields = ["name"]


@admin.register(Article)
class ArticleAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["title", "category", "status", "valid_from", "valid_until", "department", "centre"]
    list_filter = ["status", "centre"]
    list_select_related = ["category", "department", "centre"]
    search_fields = ["title"]


@admin.register(ArticleVersion)
class ArticleVersionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["article", "number", "title", "changed_by", "changed_at"]
    list_select_related = ["article", "changed_by"]
    search_fields = ["title", "article__title"]


@admin.register(QuickPhrase)
class QuickPhraseAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["shortcut", "title", "owner", "centre"]
    list_select_related = ["owner", "centre"]
    search_fields = ["shortcut", "title"]
