from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from banzu.core import api as core_api
from banzu.core import views as core_views
from banzu.org import api as org_api

router = DefaultRouter()
router.register("calendar", core_api.CalendarViewSet, basename="calendar")
router.register("policies", core_api.PolicyViewSet, basename="policy")
org_api.register(router)

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_api.HealthView.as_view(), name="health"),
    path("accounts/login/", core_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", core_api.TokenView.as_view(), name="api-token"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("core/", include("banzu.core.urls")),
    path("org/", include("banzu.org.urls")),
]

handler403 = "banzu.core.views.permission_denied"
