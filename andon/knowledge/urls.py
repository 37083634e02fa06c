"""Knowledge base pages, mounted at /knowledge/ (namespace "knowledge")."""

from django.urls import path

from andon.knowledge import views

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.article_edit, name="create"),
    path("categories/", views.categories, name="categories"),
    path("assistant/", views.assistant_page, name="assistant"),
    path("assistant/stream/", views.assistant_stream, name="assistant_stream"),
    path("suggest-catalog/", views.catalog_suggest, name="catalog_suggest"),
    path("tickets/<int:pk>/smart/", views.ticket_smart, name="ticket_smart"),
    path("tickets/<int:pk>/to-article/", views.ticket_to_article, name="ticket_to_article"),
    path("<int:pk>/", views.article_detail, name="article"),
    path("<int:pk>/edit/", views.article_edit, name="edit"),
    path("<int:pk>/publish/", views.article_publish, name="publish"),
    path("<int:pk>/delete/", views.article_delete, name="delete"),
    path("<int:pk>/vote/", views.article_vote, name="vote"),
    path("<int:pk>/revisions/", views.article_revisions, name="revisions"),
]
