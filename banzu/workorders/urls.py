from django.urls import path

from banzu.workorders import views

app_name = "workorders"
urlpatterns = [
    path("", views.work_order_list, name="list"),
    path("export/", views.work_order_export, name="export"),
    path("contacts-without-work-order/", views.contact_exceptions, name="contact_exceptions"),
    path("new/", views.work_order_create, name="create"),
    path("new/category-fields/", views.category_fields, name="category_fields"),
    path("new/preview/", views.form_preview, name="preview"),
    path("<int:pk>/", views.work_order_detail, name="detail"),
    path("<int:pk>/edit/", views.work_order_edit, name="edit"),
    path("<int:pk>/hand-over/", views.work_order_hand_over, name="hand_over"),
    path("<int:pk>/accept/", views.work_order_accept, name="accept"),
    path("<int:pk>/comment/", views.work_order_comment, name="comment"),
    path("<int:pk>/close/", views.work_order_close, name="close"),
    path("<int:pk>/urgent/", views.work_order_mark_urgent, name="mark_urgent"),
    path("<int:pk>/staff-data-request/", views.work_order_staff_data_request, name="staff_data_request"),
    path("<int:pk>/print/", views.work_order_print, name="print"),
]
