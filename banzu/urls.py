from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from banzu.callbacks import api as callbacks_api
from banzu.complaints import api as complaints_api
from banzu.contact import api as contact_api
from banzu.core import api as core_api
from banzu.core import views as core_views
from banzu.knowledge import api as knowledge_api
from banzu.org import api as org_api
from banzu.simulation import api as simulation_api
from banzu.wfm import api as wfm_api
from banzu.workorders import api as workorders_api

router = DefaultRouter()
router.register("calendar", core_api.CalendarViewSet, basename="calendar")
router.register("policies", core_api.PolicyViewSet, basename="policy")
for app_api in (
    org_api,
    contact_api,
    workorders_api,
    knowledge_api,
    complaints_api,
    callbacks_api,
    wfm_api,
    simulation_api,
):
    app_api.register(router)

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_api.HealthView.as_view(), name="health"),
    path("accounts/login/", core_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", core_api.TokenView.as_view(), name="api-token"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("core/", include("banzu.core.urls")),
    path("org/", include("banzu.org.urls")),
    path("contact/", include("banzu.contact.urls")),
    path("workorders/", include("banzu.workorders.urls")),
    path("knowledge/", include("banzu.knowledge.urls")),
    path("complaints/", include("banzu.complaints.urls")),
    path("callbacks/", include("banzu.callbacks.urls")),
    path("wfm/", include("banzu.wfm.urls")),
    path("simulation/", include("banzu.simulation.urls")),
    path("cti/v1/", include("banzu.contact.cti_urls")),
]

handler403 = "banzu.core.views.permission_denied"
handler404 = "banzu.core.views.page_not_found"
handler500 = "banzu.core.views.server_error"
