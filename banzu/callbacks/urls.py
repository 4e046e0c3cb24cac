from django.urls import path

from banzu.callbacks import views

app_name = "callbacks"
urlpatterns = [
    path("", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/tasks/", views.campaign_add_task, name="campaign_add_task"),
    path("campaigns/<int:pk>/sample/", views.campaign_draw_sample, name="campaign_draw_sample"),
    path("campaigns/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("worklist/", views.worklist, name="worklist"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/attempt/", views.task_attempt, name="task_attempt"),
    path("tasks/<int:pk>/assign/", views.task_assign, name="task_assign"),
    path("onsite/", views.onsite_board, name="onsite_board"),
    path("onsite/new/", views.onsite_create, name="onsite_create"),
    path("onsite/<int:pk>/", views.onsite_detail, name="onsite_detail"),
    path("onsite/<int:pk>/<str:step>/", views.onsite_step, name="onsite_step"),
    path("satisfaction/", views.satisfaction, name="satisfaction"),
]
