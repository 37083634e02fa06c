"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.knowledge import api

article = "articles/<int:article_id>/"

urlpatterns = [
    path("articles/", api.ArticleListView.as_view(), name="article-list"),
    path("articles/search/", api.ArticleSearchView.as_view(), name="article-search"),
    path(article, api.ArticleDetailView.as_view(), name="article-detail"),
    path(article + "publish/", api.ArticlePublishView.as_view(), name="article-publish"),
    path(article + "vote/", api.ArticleVoteView.as_view(), name="article-vote"),
    path(article + "revisions/", api.ArticleRevisionsView.as_view(), name="article-revisions"),
    path(
        "tickets/<int:ticket_id>/suggestions/",
        api.TicketSuggestionsView.as_view(),
        name="ticket-suggestions",
    ),
    path(
        "tickets/<int:ticket_id>/to-article/",
        api.TicketToArticleView.as_view(),
        name="ticket-to-article",
    ),
    path("catalog/suggest/", api.CatalogSuggestView.as_view(), name="catalog-suggest"),
    path("assistant/ask/", api.AssistantAskView.as_view(), name="assistant-ask"),
]
