from django.urls import path

from banzu.contact import customer_views

urlpatterns: list = [
    path("customers/", customer_views.customer_list, name="customers"),
    path("customers/new/", customer_views.customer_create, name="customer_create"),
    path("customers/<int:pk>/", customer_views.customer_detail, name="customer"),
    path("customers/<int:pk>/edit/", customer_views.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/merge/", customer_views.customer_merge, name="customer_merge"),
]
