from django.urls import path

from banzu.core import views

app_name = "core"
urlpatterns = [
    path("calendar/", views.calendar_page, name="calendar"),
    path("policies/", views.policies_page, name="policies"),
    path("policies/<str:key>/", views.policy_edit, name="policy"),
]
