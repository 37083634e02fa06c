"""Knowledge base API: articles (list, create, read, edit, delete, publish, vote, revisions),
search, smart-support suggestions, turning a ticket into an article, the suggested catalog entry
and the assistant. Thin: reads via selectors/search, writes via services."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.accounts.permissions import has_perm
from andon.core.api import IdField, PermissionByMethod, UserRefSerializer, error_responses, parse_id
from andon.core.errors import NotFound, PermissionDenied
from andon.core.markdown import render_markdown
from andon.core.throttling import AssistantThrottle, PerUserThrottle
from andon.knowledge import assistant, search, selectors, services, suggestions
from andon.knowledge.models import Article, ArticleRevision, ArticleStatus, Visibility
from andon.tickets.selectors import get_visible_ticket


def _require_view(user) -> None:
    if not (has_perm(user, "knowledge.view") or has_perm(user, "knowledge.manage")):
        raise PermissionDenied(_("没有权限：%s") % "knowledge.view")


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ArticleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True, help_text="Markdown")
    body_html = serializers.SerializerMethodField(help_text="the body rendered and sanitised")
    category = CategoryRefSerializer(read_only=True, allow_null=True)
    tags = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=ArticleStatus.choices, read_only=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices, read_only=True)
    author = UserRefSerializer(read_only=True)
    source_ticket = serializers.IntegerField(
        source="source_ticket_id", read_only=True, allow_null=True
    )
    helpful_count = serializers.IntegerField(read_only=True)
    not_helpful_count = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_body_html(self, article) -> str:
        return str(render_markdown(article.body))

    def get_tags(self, article) -> list[str]:
        return [tag.name for tag in article.tags.all()]


class ArticleWriteSerializer(serializers.Serializer):
    """Shape only; the rules live in `knowledge.services`."""

    title = serializers.CharField(required=True, allow_blank=True, trim_whitespace=False)
    body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    category = IdField(required=False, allow_null=True)
    tags = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, max_length=50
    )
    status = serializers.ChoiceField(choices=ArticleStatus.choices, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ArticleQuerySerializer(serializers.Serializer):
    category = IdField(required=False)
    tag = serializers.CharField(required=False, max_length=30)
    status = serializers.ChoiceField(choices=ArticleStatus.choices, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)


def _service_fields(data: dict) -> dict:
    fields = dict(data)
    if "category" in fields:
        fields["category_id"] = fields.pop("category")
    return fields


def _article_response(user, pk) -> dict:
    return ArticleSerializer(selectors.get_visible_article(user, pk)).data


class ArticleListView(generics.GenericAPIView):
    """Articles the caller may read, newest change first; POST creates one (knowledge.manage)."""

    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "knowledge.manage"}
    serializer_class = ArticleSerializer
    queryset = Article.objects.none()  # for the schema generator; reads go through selectors

    @extend_schema(
        operation_id="articles_list",
        parameters=[ArticleQuerySerializer],
        responses={200: ArticleSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        _require_view(request.user)
        query = ArticleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        qs = selectors.article_list(
            request.user,
            category_id=data.get("category"),
            tag=data.get("tag", ""),
            status=data.get("status", ""),
            visibility=data.get("visibility", ""),
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ArticleSerializer(page, many=True).data)

    @extend_schema(
        operation_id="articles_create",
        request=ArticleWriteSerializer,
        responses={201: ArticleSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = ArticleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = services.create_article(
            actor=request.user, **_service_fields(serializer.validated_data)
        )
        return Response(_article_response(request.user, article.pk), status=201)


class _ArticleView(APIView):
    """Endpoints on one article the caller may read (404 otherwise)."""

    permission_classes = [PermissionByMethod]

    def _pk(self, request, article_id) -> int:
        _require_view(request.user)
        pk = parse_id(article_id)
        if pk is None or selectors.get_visible_article(request.user, pk) is None:
            raise NotFound(_("文章不存在或无权查看"))
        return pk


class ArticleDetailView(_ArticleView):
    required_perms = {"PATCH": "knowledge.manage", "DELETE": "knowledge.manage"}

    @extend_schema(
        operation_id="articles_retrieve",
        responses={200: ArticleSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, article_id):
        return Response(_article_response(request.user, self._pk(request, article_id)))

    @extend_schema(
        operation_id="articles_update",
        request=ArticleWriteSerializer,
        responses={200: ArticleSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, article_id):
        pk = self._pk(request, article_id)
        serializer = ArticleWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.update_article(
            article_id=pk, actor=request.user, **_service_fields(serializer.validated_data)
        )
        return Response(_article_response(request.user, pk))

    @extend_schema(
        operation_id="articles_destroy", responses={204: None, **error_responses(401, 403, 404)}
    )
    def delete(self, request, article_id):
        services.delete_article(article_id=self._pk(request, article_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ArticlePublishView(_ArticleView):
    required_perms = {"POST": "knowledge.manage"}

    @extend_schema(
        operation_id="articles_publish",
        request=None,
        responses={200: ArticleSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, article_id):
        pk = self._pk(request, article_id)
        services.publish_article(article_id=pk, actor=request.user)
        return Response(_article_response(request.user, pk))


class VoteSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(help_text="true: helpful; false: not helpful")


class ArticleVoteView(_ArticleView):
    """One vote per person; voting again changes it."""

    required_perms = {}

    @extend_schema(
        operation_id="articles_vote",
        request=VoteSerializer,
        responses={200: ArticleSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, article_id):
        pk = self._pk(request, article_id)
        serializer = VoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.vote_article(
            article_id=pk, actor=request.user, helpful=serializer.validated_data["helpful"]
        )
        return Response(_article_response(request.user, pk))


class RevisionSerializer(serializers.ModelSerializer):
    editor = UserRefSerializer(read_only=True)

    class Meta:
        model = ArticleRevision
        fields = [
            "number",
            "title",
            "body",
            "category_name",
            "tags",
            "status",
            "visibility",
            "editor",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class ArticleRevisionsView(_ArticleView):
    required_perms = {}

    @extend_schema(
        operation_id="articles_revisions",
        responses={200: RevisionSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, article_id):
        pk = self._pk(request, article_id)
        revisions = ArticleRevision.objects.filter(article_id=pk).select_related("editor")
        return Response(RevisionSerializer(revisions, many=True).data)


class HitSerializer(serializers.Serializer):
    type = serializers.CharField(source="kind", help_text="article or ticket")
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()
    score = serializers.FloatField()
    matched_terms = serializers.ListField(child=serializers.CharField())
    snippet = serializers.CharField(help_text="escaped text with <mark> around matched terms")


class TicketHitSerializer(HitSerializer):
    number = serializers.CharField(source="obj.number")
    resolution = serializers.CharField(help_text="how it was resolved, highlighted")


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)
    public_only = serializers.BooleanField(required=False, default=False)


class ArticleSearchView(APIView):
    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="articles_search",
        parameters=[SearchQuerySerializer],
        responses={200: HitSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        _require_view(request.user)
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        hits = search.search_articles(
            request.user, data["q"], public_only=data["public_only"], limit=data["limit"]
        )
        return Response(HitSerializer(hits, many=True).data)


class SuggestionsSerializer(serializers.Serializer):
    tickets = TicketHitSerializer(many=True)
    articles = HitSerializer(many=True)


class TicketSuggestionsView(APIView):
    """Smart support for one ticket: similar resolved tickets and relevant articles, each with
    the terms it matched."""

    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="tickets_suggestions",
        responses={200: SuggestionsSerializer, **error_responses(401, 404)},
    )
    def get(self, request, ticket_id):
        ticket = get_visible_ticket(request.user, ticket_id)
        found = suggestions.for_ticket(request.user, ticket)
        return Response(SuggestionsSerializer(found).data)


class TicketToArticleView(APIView):
    """Turn a resolved ticket into a draft internal article (its handlers or knowledge.manage)."""

    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="tickets_to_article",
        request=None,
        responses={201: ArticleSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, ticket_id):
        pk = parse_id(ticket_id)
        if pk is None:
            raise NotFound(_("工单不存在或无权查看"))
        article = services.article_from_ticket(ticket_id=pk, actor=request.user)
        # The handler who made the draft gets it back even without knowledge.manage.
        article = selectors.with_list_relations(Article.objects).get(pk=article.pk)
        return Response(ArticleSerializer(article).data, status=201)


class CatalogSuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="entry.pk")
    name = serializers.CharField(source="entry.name")
    parent = CategoryRefSerializer(source="entry.parent")
    confidence = serializers.FloatField(help_text="share of the weighted votes, 0..1")
    similar_count = serializers.IntegerField(help_text="similar resolved tickets filed under it")


class CatalogSuggestQuerySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000, help_text="the title and description")


class CatalogSuggestView(APIView):
    """Suggested level-2 catalog entries for a new ticket, from the catalog entries of the most
    similar resolved tickets (weighted by similarity and rank)."""

    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="catalog_suggest",
        parameters=[CatalogSuggestQuerySerializer],
        responses={200: CatalogSuggestionSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request):
        query = CatalogSuggestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = suggestions.suggest_catalog_entries(query.validated_data["text"])
        return Response(CatalogSuggestionSerializer(found, many=True).data)


class AskSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=assistant.QUESTION_MAX)
    public_only = serializers.BooleanField(required=False, default=False)


class SourceSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="article or ticket")
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField()
    sources = SourceSerializer(many=True)
    mode = serializers.ChoiceField(choices=["llm", "extractive", "unknown"])


class AssistantAskView(APIView):
    """Answer a question from published articles and resolved tickets, citing them as [1], [2].
    Callers without knowledge.view get public articles only. Rate-limited per person."""

    permission_classes = [PermissionByMethod]
    throttle_classes = [PerUserThrottle, AssistantThrottle]

    @extend_schema(
        operation_id="assistant_ask",
        request=AskSerializer,
        responses={200: AnswerSerializer, **error_responses(400, 401, 429)},
    )
    def post(self, request):
        serializer = AskSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        public_only = data["public_only"] or not (
            has_perm(request.user, "knowledge.view") or has_perm(request.user, "knowledge.manage")
        )
        answer = assistant.ask(request.user, data["question"], public_only=public_only)
        return Response(answer.as_dict())
