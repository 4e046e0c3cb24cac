from django.urls import path

from banzu.contact import customer_urls, routing_urls, views

app_name = "contact"
urlpatterns = [
    path("statistics/", views.interval_statistics, name="statistics"),
    path("exceptions/", views.service_exceptions, name="exceptions"),
    path("ivr/", views.ivr_menu, name="ivr"),
    path("ivr/new/", views.ivr_node_create, name="ivr_create"),
    path("ivr/<int:pk>/edit/", views.ivr_node_edit, name="ivr_edit"),
    path("ivr/<int:pk>/delete/", views.ivr_node_delete, name="ivr_delete"),
    *customer_urls.urlpatterns,  # customers (CT-18)
    *routing_urls.urlpatterns,  # queues, skills, skill matrix, contact search and timeline
]
