from django.urls import path

from banzu.complaints import views

app_name = "complaints"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("new/", views.complaint_create, name="create"),
    path("notices/", views.notice_board, name="notices"),
    path("analysis/", views.complaint_analysis, name="analysis"),
    path("analysis/export/", views.complaint_analysis_export, name="analysis_export"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/step/", views.complaint_step, name="step"),
    path("<int:pk>/report/", views.complaint_report, name="report"),
    path("<int:pk>/publish/", views.complaint_publish, name="publish"),
    path("<int:pk>/print/", views.complaint_print, name="print"),
    path("<int:pk>/authority-report/", views.complaint_authority_report, name="authority_report"),
]
