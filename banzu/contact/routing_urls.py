"""Routing set-up (queues, skills, skill matrix) and contact records (search, one contact)."""

from django.urls import path

from banzu.contact import record_views, routing_views

urlpatterns: list = [
    path("queues/", routing_views.queue_list, name="queues"),
    path("queues/new/", routing_views.queue_edit, name="queue_create"),
    path("queues/<int:pk>/edit/", routing_views.queue_edit, name="queue_edit"),
    path("queues/<int:pk>/remove/", routing_views.queue_remove, name="queue_remove"),
    path("skills/", routing_views.skill_list, name="skills"),
    path("skills/new/", routing_views.skill_edit, name="skill_create"),
    path("skills/<int:pk>/edit/", routing_views.skill_edit, name="skill_edit"),
    path("skill-matrix/", routing_views.skill_matrix, name="skill_matrix"),
    path("skill-matrix/cell/", routing_views.skill_matrix_cell, name="skill_matrix_cell"),
    path("skill-matrix/export/", routing_views.skill_matrix_export, name="skill_matrix_export"),
    path("contacts/", record_views.contact_search, name="contacts"),
    path("contacts/export/", record_views.contact_export, name="contacts_export"),
    path("contacts/<int:pk>/", record_views.contact_detail, name="contact"),
]
