from django.urls import path

from banzu.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("articles/new/", views.article_create, name="create"),
    path("articles/<int:pk>/", views.article_detail, name="article"),
    path("articles/<int:pk>/edit/", views.article_edit, name="edit"),
    path("articles/<int:pk>/publish/", views.article_publish, name="publish"),
    path("articles/<int:pk>/archive/", views.article_archive, name="archive"),
    path("quick-phrases/", views.quick_phrases, name="quick_phrases"),
    path("quick-phrases/<int:pk>/edit/", views.quick_phrase_edit, name="quick_phrase_edit"),
    path("quick-phrases/<int:pk>/delete/", views.quick_phrase_delete, name="quick_phrase_delete"),
]
