"""Tags API: the tag list (everyone signed in reads it, handlers create), the admins' rename,
merge and delete (`tags.manage`), a ticket's tags (read by whoever sees the ticket, changed by
whoever handles it) and the counts by tag (`reports.view`)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.accounts.permissions import has_perm
from andon.core.api import IdField, PermissionByMethod, error_responses, parse_id
from andon.core.errors import NotFound
from andon.tags import selectors, services
from andon.tags.models import NAME_MAX, Tag
from andon.tickets import selectors as ticket_selectors


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]
        read_only_fields = ["id"]


class TagNameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX * 4, trim_whitespace=False)


class TagMergeSerializer(serializers.Serializer):
    into = IdField(help_text="the tag that stays; the tag in the URL is merged into it")


class TicketTagsSerializer(serializers.Serializer):
    tags = serializers.ListField(
        child=serializers.CharField(max_length=NAME_MAX * 4, trim_whitespace=False),
        max_length=services.TAGS_PER_REQUEST,
        help_text="tag names; missing tags are created",
    )


class TagCountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    total = serializers.IntegerField(help_text="visible tickets with the tag")
    open = serializers.IntegerField(help_text="of those, not yet done, closed or cancelled")


def _tag(tag_id) -> Tag:
    pk = parse_id(tag_id)
    tag = Tag.objects.filter(pk=pk).first() if pk else None
    if tag is None:
        raise NotFound(_("标签不存在"))
    return tag


class CreatesTags(PermissionByMethod):
    """POST on the list: whoever handles tickets (tagging creates tags anyway) or manages tags."""

    def may_use(self, request, view, method: str) -> bool:
        if method == "POST":
            return has_perm(request.user, "tickets.handle") or has_perm(request.user, "tags.manage")
        return super().may_use(request, view, method)


class TagListView(APIView):
    permission_classes = [CreatesTags]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tags_list",
        responses={200: TagSerializer(many=True), **error_responses(401)},
        description="Every tag, by name; `?q=` narrows by a part of the name.",
    )
    def get(self, request):
        tags = selectors.all_tags(request.query_params.get("q", ""))[:500]
        return Response(TagSerializer(tags, many=True).data)

    @extend_schema(
        operation_id="tags_create",
        request=TagNameSerializer,
        responses={201: TagSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        body = TagNameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tag = services.create_tag(actor=request.user, name=body.validated_data["name"])
        return Response(TagSerializer(tag).data, status=status.HTTP_201_CREATED)


class TagDetailView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = {"PATCH": "tags.manage", "DELETE": "tags.manage"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tags_retrieve", responses={200: TagSerializer, **error_responses(401, 404)}
    )
    def get(self, request, tag_id):
        return Response(TagSerializer(_tag(tag_id)).data)

    @extend_schema(
        operation_id="tags_rename",
        request=TagNameSerializer,
        responses={200: TagSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Rename; a name another tag has is a 409 (merge the two instead).",
    )
    def patch(self, request, tag_id):
        body = TagNameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tag = services.rename_tag(
            actor=request.user, tag_id=tag_id, name=body.validated_data["name"]
        )
        return Response(TagSerializer(tag).data)

    @extend_schema(
        operation_id="tags_destroy",
        responses={204: None, **error_responses(401, 403, 404, 409)},
        description="Only an unused tag; a used one is 409 (merge it into another).",
    )
    def delete(self, request, tag_id):
        services.delete_tag(actor=request.user, tag_id=tag_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TagMergeView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "tags.manage"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tags_merge",
        request=TagMergeSerializer,
        responses={200: TagSerializer, **error_responses(400, 401, 403, 404)},
        description="Moves every ticket of this tag to `into` (each logged) and deletes this tag.",
    )
    def post(self, request, tag_id):
        body = TagMergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _tag(tag_id)
        target = services.merge_tags(
            actor=request.user, source_id=tag_id, target_id=body.validated_data["into"]
        )
        return Response(TagSerializer(target).data)


class TicketTagsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_tags_list",
        responses={200: TagSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, ticket_id):
        ticket = ticket_selectors.get_visible_ticket(request.user, ticket_id)
        return Response(TagSerializer(selectors.ticket_tags_of(ticket), many=True).data)

    @extend_schema(
        operation_id="tickets_tags_add",
        request=TicketTagsSerializer,
        responses={200: TagSerializer(many=True), **error_responses(400, 401, 403, 404)},
        description="Adds tags by name (creating missing ones); answers the ticket's tags.",
    )
    def post(self, request, ticket_id):
        ticket = ticket_selectors.get_visible_ticket(request.user, ticket_id)
        body = TicketTagsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tags = services.add_tags(
            ticket_id=ticket.pk, actor=request.user, names=body.validated_data["tags"]
        )
        return Response(TagSerializer(tags, many=True).data)


class TicketTagView(APIView):
    @extend_schema(
        operation_id="tickets_tags_remove",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, ticket_id, tag_id):
        ticket = ticket_selectors.get_visible_ticket(request.user, ticket_id)
        services.remove_tag(ticket_id=ticket.pk, actor=request.user, tag_id=tag_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TagReportView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = {"GET": "reports.view"}

    @extend_schema(
        operation_id="reports_by_tag",
        responses={200: TagCountSerializer(many=True), **error_responses(401, 403)},
        description="Per tag, the caller's visible tickets carrying it (total and unfinished).",
        tags=["reports"],
    )
    def get(self, request):
        return Response(TagCountSerializer(selectors.tag_counts(request.user), many=True).data)
