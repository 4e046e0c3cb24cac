"""URLs of the CTI API, version 1, mounted at /cti/v1/ (docs/cti.md)."""

from django.urls import path

from banzu.contact import cti_api

app_name = "cti"

urlpatterns = [
    path("", cti_api.CtiRootView.as_view(), name="root"),
    path("events/", cti_api.CtiEventView.as_view(), name="events"),
    path("route/", cti_api.CtiRouteView.as_view(), name="route"),
    path("calls/<path:call_id>/", cti_api.CtiCallView.as_view(), name="call"),
]
