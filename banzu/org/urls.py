from django.urls import path

from banzu.org import views

app_name = "org"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("my-team/", views.my_team, name="my_team"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("roster/", views.roster_page, name="roster"),
    path("roster/export/", views.roster_export, name="roster_export"),
    path("roster/import/", views.roster_import, name="roster_import"),
    path("roster/template/", views.roster_template, name="roster_template"),
    path("employees/<int:pk>/", views.employee_detail, name="employee"),
]
