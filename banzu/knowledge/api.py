"""API of the knowledge base under /api/v1/knowledge/ (KB-1, KB-2).

* ``articles/``: list (``?q=`` searches published articles valid today, title matches first;
  ``?category=``; editors may add ``?status=``), detail with the current version's body, create;
  ``{id}/versions/``, ``{id}/revise/``, ``{id}/publish/``, ``{id}/archive/``.
* ``versions/{id}/``: one version by id, as a work order cites it (WO-5).
* ``categories/``: list, create (editors).
* ``quick-phrases/``: the caller's own and the centre's shared quick phrases; CRUD;
  ``{id}/render/?客户称呼=…`` fills the placeholders ({工号} from the caller).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from banzu.core.drf import ScopedViewSetMixin
from banzu.knowledge import rules, selectors, services
from banzu.knowledge.models import Article, ArticleVersion, Category, QuickPhrase
from banzu.org.models import Department, Employee

# --- output --------------------------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "parent", "sort_order"]


class ArticleListSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True, default=None, allow_null=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    version = serializers.IntegerField(source="current_version.number", read_only=True, default=None)
    version_id = serializers.IntegerField(source="current_version_id", read_only=True)
    title_match = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "category",
            "category_name",
            "tags",
            "status",
            "status_label",
            "valid_from",
            "valid_until",
            "department",
            "published_at",
            "version",
            "version_id",
            "title_match",
        ]

    def get_title_match(self, obj) -> bool | None:
        hit = getattr(obj, "head_hit", None)
        return None if hit is None else bool(hit)


class ArticleDetailSerializer(ArticleListSerializer):
    body = serializers.CharField(source="current_version.body", read_only=True, default="")
    owner_name = serializers.CharField(source="owner.name", read_only=True, default=None)
    department_name = serializers.CharField(source="department.name", read_only=True, default=None, allow_null=True)

    class Meta(ArticleListSerializer.Meta):
        fields = [*ArticleListSerializer.Meta.fields, "body", "owner", "owner_name", "department_name", "created_at"]


class ArticleVersionSerializer(serializers.ModelSerializer):
    changed_by_name = serializers.SerializerMethodField()

    class Meta:
        model = ArticleVersion
        fields = ["id", "article", "number", "title", "body", "change_note", "changed_by_name", "changed_at"]

    def get_changed_by_name(self, obj) -> str | None:
        user = obj.changed_by
        if user is None:
            return None
        employee = getattr(user, "employee", None)
        return employee.name if employee else user.get_username()


class QuickPhraseSerializer(serializers.ModelSerializer):
    shared = serializers.BooleanField(source="is_shared", read_only=True)
    placeholders = serializers.SerializerMethodField()

    class Meta:
        model = QuickPhrase
        fields = ["id", "shortcut", "title", "text", "category", "shared", "placeholders"]

    def get_placeholders(self, obj) -> list[str]:
        return rules.placeholders(obj.text)


# --- input ---------------------------------------------------------------------------------------


class ArticleInput(serializers.Serializer):
    title = serializers.CharField(label=gettext_lazy("Title"), max_length=services.TITLE_MAX)
    body = serializers.CharField(label=gettext_lazy("Body"), max_length=services.BODY_MAX)
    category = serializers.PrimaryKeyRelatedField(
        label=gettext_lazy("Category"), queryset=Category.objects.all(), allow_null=True, required=False
    )
    tags = serializers.ListField(
        label=gettext_lazy("Tags"), child=serializers.CharField(max_length=50), required=False, default=list
    )
    valid_from = serializers.DateField(label=gettext_lazy("Valid from"), allow_null=True, required=False)
    valid_until = serializers.DateField(label=gettext_lazy("Valid until"), allow_null=True, required=False)
    change_note = serializers.CharField(
        label=gettext_lazy("Change note"), max_length=services.NOTE_MAX, required=False, allow_blank=True
    )


class ArticleCreateInput(ArticleInput):
    department = serializers.PrimaryKeyRelatedField(
        label=gettext_lazy("Department"), queryset=Department.objects.all(), allow_null=True, required=False
    )
    owner = serializers.PrimaryKeyRelatedField(
        label=gettext_lazy("Owner"), queryset=Employee.objects.all(), allow_null=True, required=False
    )
    publish = serializers.BooleanField(label=gettext_lazy("Publish now"), required=False, default=False)


class ArticleReviseInput(ArticleInput):
    """Fields left out keep the article's current values."""

    title = serializers.CharField(label=gettext_lazy("Title"), max_length=services.TITLE_MAX, required=False)
    body = serializers.CharField(label=gettext_lazy("Body"), max_length=services.BODY_MAX, required=False)
    tags = serializers.ListField(label=gettext_lazy("Tags"), child=serializers.CharField(max_length=50), required=False)
    owner = serializers.PrimaryKeyRelatedField(
        label=gettext_lazy("Owner"), queryset=Employee.objects.all(), required=False
    )


class CategoryInput(serializers.Serializer):
    name = serializers.CharField(label=gettext_lazy("Category"), max_length=50)
    parent = serializers.PrimaryKeyRelatedField(
        label=gettext_lazy("Parent category"), queryset=Category.objects.all(), allow_null=True, required=False
    )
    sort_order = serializers.IntegerField(label=gettext_lazy("Sort order"), min_value=0, max_value=999, default=0)


class QuickPhraseInput(serializers.Serializer):
    shortcut = serializers.CharField(label=gettext_lazy("Shortcut"), max_length=31)
    title = serializers.CharField(label=gettext_lazy("Title"), max_length=services.PHRASE_TITLE_MAX)
    text = serializers.CharField(label=gettext_lazy("Text"), max_length=services.PHRASE_TEXT_MAX)
    category = serializers.PrimaryKeyRelatedField(
        label=gettext_lazy("Category"), queryset=Category.objects.all(), allow_null=True, required=False
    )
    shared = serializers.BooleanField(label=gettext_lazy("Shared with the centre"), required=False, default=False)


# --- views ---------------------------------------------------------------------------------------


class ArticleViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Knowledge articles the caller may read; writes for editors (knowledge.edit)."""

    scope_action = "knowledge.view"
    write_actions = {
        "create": "knowledge.edit",
        "revise": "knowledge.edit",
        "publish": "knowledge.edit",
        "archive": "knowledge.edit",
    }
    filter_backends: list = []

    def base_queryset(self):
        return Article.objects.all()

    def get_queryset(self):
        # Centre-wide articles are read by every role, which restrict() alone cannot say.
        user = self.request.user
        if self.action != "list":
            return selectors.articles_readable_by(user).select_related("owner", "department")
        params = self.request.query_params
        query = params.get("q", "").strip()
        today = timezone.localdate()
        if query:
            queryset = selectors.search_articles(user, query, only_valid_on=today)
        elif params.get("status") and params.get("status") in Article.Status.values:
            queryset = selectors.articles_readable_by(user).filter(status=params["status"])
        else:
            queryset = selectors.published_articles(user, on=today)
        category = params.get("category", "")
        if category.isdigit():
            queryset = queryset.filter(category_id=int(category))
        return queryset

    def get_serializer_class(self):
        if self.action == "list":
            return ArticleListSerializer
        return ArticleDetailSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Search text (Chinese or English); title matches come first."),
            OpenApiParameter("category", int),
            OpenApiParameter("status", str, enum=Article.Status.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _detail(self, article: Article, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.articles_readable_by(self.request.user).get(pk=article.pk)
        return Response(ArticleDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=ArticleCreateInput, responses={201: ArticleDetailSerializer})
    def create(self, request):
        data = ArticleCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        article = services.create_article(user=request.user, **data.validated_data)
        return self._detail(article, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ArticleVersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        article = self.get_object()
        return Response(ArticleVersionSerializer(selectors.versions_of(article), many=True).data)

    @extend_schema(request=ArticleReviseInput, responses=ArticleDetailSerializer)
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        article = self.get_object()
        data = ArticleReviseInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        current = article.current_version
        services.revise_article(
            user=request.user,
            article=article,
            title=values.get("title", current.title if current else ""),
            body=values.get("body", current.body if current else ""),
            change_note=values.get("change_note", ""),
            category=values.get("category", article.category),
            tags=values.get("tags", article.tags),
            valid_from=values.get("valid_from", article.valid_from),
            valid_until=values.get("valid_until", article.valid_until),
            owner=values.get("owner"),
        )
        return self._detail(article)

    @extend_schema(request=None, responses=ArticleDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        article = services.publish_article(user=request.user, article=self.get_object())
        return self._detail(article)

    @extend_schema(request=None, responses=ArticleDetailSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        article = services.archive_article(user=request.user, article=self.get_object())
        return self._detail(article)


class ArticleVersionViewSet(ScopedViewSetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One article version by id, for citing (WO-5)."""

    scope_action = "knowledge.view"
    serializer_class = ArticleVersionSerializer
    filter_backends: list = []

    def base_queryset(self):
        return ArticleVersion.objects.all()

    def get_queryset(self):
        readable = selectors.articles_readable_by(self.request.user).values("pk")
        return ArticleVersion.objects.filter(article__in=readable).select_related("changed_by__employee")


class CategoryViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    scope_action = "knowledge.view"
    write_actions = {"create": "knowledge.edit"}
    serializer_class = CategorySerializer
    filter_backends: list = []
    pagination_class = None

    def base_queryset(self):
        return Category.objects.all()

    def get_queryset(self):
        return selectors.categories_for(self.request.user)

    @extend_schema(request=CategoryInput, responses={201: CategorySerializer})
    def create(self, request):
        data = CategoryInput(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.create_category(user=request.user, **data.validated_data)
        return Response(CategorySerializer(category).data, status=status.HTTP_201_CREATED)


RenderedPhrase = inline_serializer(
    "RenderedQuickPhrase",
    {"text": serializers.CharField(), "missing": serializers.ListField(child=serializers.CharField())},
)


class QuickPhraseViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """快捷短语: the caller's own and the centre's shared ones. Shared ones are kept by editors."""

    scope_action = "knowledge.view"
    write_actions = {
        "create": "knowledge.change_own_phrases",
        "update": "knowledge.change_own_phrases",
        "partial_update": "knowledge.change_own_phrases",
        "destroy": "knowledge.change_own_phrases",
    }
    serializer_class = QuickPhraseSerializer
    filter_backends: list = []
    pagination_class = None

    def base_queryset(self):
        return QuickPhrase.objects.all()

    def get_queryset(self):
        queryset = selectors.quick_phrases_for(self.request.user)
        prefix = self.request.query_params.get("shortcut", "").strip()
        if self.action == "list" and prefix:
            queryset = queryset.filter(shortcut__startswith=rules.normalise_shortcut(prefix))
        return queryset

    @extend_schema(request=QuickPhraseInput, responses={201: QuickPhraseSerializer})
    def create(self, request):
        data = QuickPhraseInput(data=request.data)
        data.is_valid(raise_exception=True)
        phrase = services.create_quick_phrase(user=request.user, **data.validated_data)
        return Response(QuickPhraseSerializer(phrase).data, status=status.HTTP_201_CREATED)

    def _update(self, request, *, partial: bool):
        phrase = self.get_object()
        data = QuickPhraseInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        phrase = services.update_quick_phrase(
            user=request.user,
            phrase=phrase,
            shortcut=values.get("shortcut", phrase.shortcut),
            title=values.get("title", phrase.title),
            text=values.get("text", phrase.text),
            category=values.get("category", phrase.category),
        )
        return Response(QuickPhraseSerializer(phrase).data)

    @extend_schema(request=QuickPhraseInput, responses=QuickPhraseSerializer)
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=QuickPhraseInput, responses=QuickPhraseSerializer)
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def destroy(self, request, pk=None):
        services.delete_quick_phrase(user=request.user, phrase=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[OpenApiParameter("客户称呼", OpenApiTypes.STR, description="Any placeholder name as a parameter.")],
        responses=RenderedPhrase,
    )
    @action(detail=True, methods=["get"])
    def render(self, request, pk=None):
        """The text with placeholders filled: {工号} from the caller, others from the query string."""
        phrase = self.get_object()
        values = {**selectors.placeholder_values_for(request.user), **request.query_params.dict()}
        text = rules.render_quick_phrase(phrase.text, values)
        return Response({"text": text, "missing": rules.placeholders(text)})


def register(router) -> None:
    """Add this app's viewsets to the project router."""
    router.register("knowledge/articles", ArticleViewSet, basename="knowledge-article")
    router.register("knowledge/versions", ArticleVersionViewSet, basename="knowledge-version")
    router.register("knowledge/categories", CategoryViewSet, basename="knowledge-category")
    router.register("knowledge/quick-phrases", QuickPhraseViewSet, basename="knowledge-quick-phrase")
