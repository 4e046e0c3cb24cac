from django.urls import path

from banzu.wfm import views

app_name = "wfm"
urlpatterns = [
    path("", views.forecast_list, name="forecasts"),
    path("forecasts/new/", views.forecast_create, name="forecast_create"),
    path("forecasts/<int:pk>/publish/", views.forecast_publish, name="forecast_publish"),
    path("what-if/", views.what_if, name="what_if"),
    path("what-if/simulate/", views.what_if_simulate, name="what_if_simulate"),
    path("what-if/runs/<int:pk>/", views.what_if_run, name="what_if_run"),
]
