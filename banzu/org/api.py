"""Organisation API under /api/v1/: departments, teams, employees (roster), import and export."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from banzu.core import scoping
from banzu.core.drf import ScopedViewSetMixin
from banzu.core.masking import mask_email, mask_phone
from banzu.org import roster, selectors, services
from banzu.org.models import Department, Employee, Position, StarTitle, Team


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "centre", "head"]


class TeamSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    leader_name = serializers.CharField(source="leader.name", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Team
        fields = ["id", "code", "name", "department", "department_name", "leader", "leader_name"]


class EmployeeSerializer(serializers.ModelSerializer):
    """Roster row. Phone and email are masked for roles without `org.view_personal_data`."""

    department_name = serializers.CharField(source="department.name", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True, default=None, allow_null=True)
    position_name = serializers.CharField(source="position.name", read_only=True)
    star_title_name = serializers.CharField(source="star_title.name", read_only=True, default=None, allow_null=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    mentor_no = serializers.CharField(source="mentor.employee_no", read_only=True, default=None, allow_null=True)
    roles = serializers.SerializerMethodField()
    skills = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()

    class Meta:
        model = Employee
        fields = [
            "id",
            "employee_no",
            "name",
            "department",
            "department_name",
            "team",
            "team_name",
            "position",
            "position_name",
            "star_title",
            "star_title_name",
            "hire_date",
            "position_since",
            "status",
            "status_label",
            "mentor",
            "mentor_no",
            "phone",
            "email",
            "roles",
            "skills",
        ]

    def _full(self) -> bool:
        request = self.context.get("request")
        return bool(request) and scoping.can(request.user, "org.view_personal_data")

    def get_phone(self, obj) -> str:
        return obj.phone if self._full() else mask_phone(obj.phone)

    def get_email(self, obj) -> str:
        return obj.email if self._full() else mask_email(obj.email)

    def get_roles(self, obj) -> list[str]:
        return [row.role for row in obj.roles.all()]

    def get_skills(self, obj) -> list[dict]:
        return [{"skill": item.skill.code, "name": item.skill.name, "level": item.level} for item in obj.skills.all()]


class EmployeeFilter(filters.FilterSet):
    team = filters.NumberFilter(field_name="team_id")
    department = filters.NumberFilter(field_name="department_id")
    position = filters.CharFilter(field_name="position__code")
    status = filters.ChoiceFilter(choices=Employee.Status.choices)
    hired_after = filters.DateFilter(field_name="hire_date", lookup_expr="gte")
    hired_before = filters.DateFilter(field_name="hire_date", lookup_expr="lte")

    class Meta:
        model = Employee
        fields = ["team", "department", "position", "status"]


class PositionChangeInput(serializers.Serializer):
    to_position = serializers.SlugRelatedField(
        slug_field="code", queryset=Position.objects.all(), label=gettext_lazy("New position")
    )
    effective_date = serializers.DateField(label=gettext_lazy("Effective date"))
    reason = serializers.CharField(label=gettext_lazy("Reason"), max_length=200)


class TitleChangeInput(serializers.Serializer):
    to_title = serializers.SlugRelatedField(
        slug_field="code",
        queryset=StarTitle.objects.all(),
        allow_null=True,
        label=gettext_lazy("New star title"),
    )
    effective_date = serializers.DateField(label=gettext_lazy("Effective date"))
    reason = serializers.CharField(label=gettext_lazy("Reason"), max_length=200)


class ImportInput(serializers.Serializer):
    file = serializers.FileField(label=gettext_lazy("File"))

    def validate_file(self, upload):
        # Django limits form fields in memory, not uploaded files: the size is checked here.
        limit = settings.BANZU_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise serializers.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": limit // (1024 * 1024)}, code="file_too_large"
            )
        return upload


ImportErrorSerializer = inline_serializer(
    "RosterImportResult",
    {
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "errors": serializers.ListField(child=serializers.DictField()),
    },
)


class DepartmentViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = DepartmentSerializer
    scope_action = "org.view_structure"
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]
    filterset_fields = ["centre"]

    def base_queryset(self):
        return Department.objects.select_related("centre").order_by("code")


class TeamViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer
    scope_action = "org.view_structure"
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]
    filterset_fields = ["department"]

    def base_queryset(self):
        return Team.objects.select_related("department", "leader").order_by("department__code", "code")


class EmployeeViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The roster (花名册, ORG-2), restricted to the caller's scope (ORG-7)."""

    serializer_class = EmployeeSerializer
    scope_action = "org.view_roster"
    write_actions = {
        "export": "org.export_roster",
        "import_roster": "org.import_roster",
        "change_position": "org.change_position",
        "change_title": "org.change_position",
    }
    filterset_class = EmployeeFilter
    search_fields = ["employee_no", "name", "phone"]
    ordering_fields = ["employee_no", "name", "hire_date", "position_since", "team__code"]
    ordering = ["employee_no"]

    def base_queryset(self):
        return Employee.objects.all()

    def get_queryset(self):
        action_name = self.write_actions.get(self.action, self.scope_action)
        return selectors.roster_for(self.request.user, action=action_name).order_by("employee_no")

    @extend_schema(
        request=None,
        responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The roster as xlsx, limited to the caller's scope and filters."""
        queryset = self.filter_queryset(self.get_queryset())
        rows = selectors.roster_export_rows(
            queryset, show_personal_data=scoping.can(request.user, "org.view_personal_data")
        )
        data = roster.write_workbook(rows, title=_("Roster"))
        response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="roster-{stamp}.xlsx"'
        return response

    @extend_schema(
        request={"multipart/form-data": ImportInput}, responses={200: ImportErrorSerializer, 400: ImportErrorSerializer}
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_roster(self, request):
        """Import an xlsx roster: every row is checked; all rows are imported, or none (ORG-2)."""
        data = ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = services.import_roster(user=request.user, data=upload.read())
        body = {"created": result.created, "updated": result.updated, "errors": [e.as_dict() for e in result.errors]}
        return Response(body, status=status.HTTP_200_OK if result.ok else status.HTTP_400_BAD_REQUEST)

    @extend_schema(request=PositionChangeInput, responses=EmployeeSerializer)
    @action(detail=True, methods=["post"], url_path="change-position")
    def change_position(self, request, pk=None):
        employee = self.get_object()
        data = PositionChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            services.change_position(user=request.user, employee=employee, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=employee.pk)).data)

    @extend_schema(request=TitleChangeInput, responses=EmployeeSerializer)
    @action(detail=True, methods=["post"], url_path="change-title")
    def change_title(self, request, pk=None):
        employee = self.get_object()
        data = TitleChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.change_star_title(user=request.user, employee=employee, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=employee.pk)).data)


def register(router) -> None:
    router.register("departments", DepartmentViewSet, basename="department")
    router.register("teams", TeamViewSet, basename="team")
    router.register("employees", EmployeeViewSet, basename="employee")
