"""Ticket API. Thin: read through the selectors (always starting from `visible_tickets`), write
through `andon.tickets.services`; a ServiceError becomes the API's error body."""

from __future__ import annotations

from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.core.api import PermissionByMethod, error_responses, parse_id
from andon.core.errors import NotFound
from andon.core.pagination import TicketCursorPagination
from andon.tickets import selectors, services
from andon.tickets.filters import TicketFilter
from andon.tickets.models import Attachment, Ticket
from andon.tickets.serializers import (
    CancelSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    NoteSerializer,
    ReopenSerializer,
    RequiredNoteSerializer,
    ResolveSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketEventSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
    TransferSerializer,
)

PARSERS = [JSONParser, FormParser, MultiPartParser]


class TicketCursor(TicketCursorPagination):
    """A tampered or stale cursor is bad input (400), not a missing page."""

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError(
                {self.cursor_query_param: [_("无效的分页游标")]}
            ) from None


def _ticket_pk(value) -> int:
    pk = parse_id(value)
    if pk is None:
        raise NotFound(_("工单不存在或无权查看"))
    return pk


def _require_visible(user, pk: int) -> None:
    if not selectors.visible_tickets(user).filter(pk=pk).exists():
        raise NotFound(_("工单不存在或无权查看"))


def _list_queryset(user):
    return selectors.with_list_relations(selectors.visible_tickets(user)).select_related(
        "created_by"
    )


def get_ticket(request, ticket_id) -> Ticket:
    """The ticket as the detail body needs it; 404 when missing or not visible to the caller."""
    ticket = (
        selectors.ticket_detail_queryset(request.user)
        .select_related("created_by")
        .filter(pk=_ticket_pk(ticket_id))
        .first()
    )
    if ticket is None:
        raise NotFound(_("工单不存在或无权查看"))
    return ticket


def get_visible_ticket(request, ticket_id) -> Ticket:
    """The bare ticket row (enough for the policies), 404 when not visible to the caller."""
    ticket = selectors.visible_tickets(request.user).filter(pk=_ticket_pk(ticket_id)).first()
    if ticket is None:
        raise NotFound(_("工单不存在或无权查看"))
    return ticket


def _ticket_after_action(ticket_id: int) -> Ticket | None:
    """The ticket as it stands after the caller's own action, even if that action took it out
    of their sight (a transfer to a queue they are not in): the action did succeed, so the
    answer is the ticket, not a 404. Only files on public comments or on the ticket itself."""
    public_files = Attachment.objects.filter(
        Q(comment__isnull=True) | Q(comment__is_internal=False)
    )
    return (
        selectors.with_list_relations(Ticket.objects.all())
        .select_related("created_by")
        .prefetch_related(Prefetch("attachments", queryset=public_files))
        .filter(pk=ticket_id)
        .first()
    )


def detail_response(
    request, ticket_id, *, status_code=status.HTTP_200_OK, after_action: bool = False
) -> Response:
    try:
        ticket = get_ticket(request, ticket_id)
    except NotFound:
        ticket = _ticket_after_action(ticket_id) if after_action else None
        if ticket is None:
            raise
    body = TicketDetailSerializer(ticket, context={"request": request}).data
    return Response(body, status=status_code)


def created_response(request, ticket: Ticket) -> Response:
    """The body of a ticket just filed, from the objects the service wrote instead of a second
    read: its filer may always see it, and every file it has hangs on the ticket itself (no
    comment yet), so all of them are shown; without uploads in the request there are none."""
    files = Attachment.objects.all() if request.FILES else Attachment.objects.none()
    prefetch_related_objects([ticket], Prefetch("attachments", queryset=files))
    body = TicketDetailSerializer(ticket, context={"request": request}).data
    return Response(body, status=status.HTTP_201_CREATED)


# --- list, create, read, edit ---------------------------------------------------------------


class TicketListView(generics.ListAPIView):
    """Tickets the caller may see, newest first, filtered and paginated by cursor."""

    serializer_class = TicketSerializer
    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "tickets.create"}
    filterset_class = TicketFilter
    pagination_class = TicketCursor
    parser_classes = PARSERS

    def get_queryset(self):
        return _list_queryset(self.request.user)

    @extend_schema(
        operation_id="tickets_list",
        responses={200: TicketSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="tickets_create",
        request={
            "application/json": TicketCreateSerializer,
            "multipart/form-data": TicketCreateSerializer,
        },
        responses={201: TicketDetailSerializer, **error_responses(400, 401, 403)},
        description="Files a ticket under a level-2 catalog entry; it is dispatched to the "
        "entry's queue at once. `channel` defaults to `api`.",
    )
    def post(self, request):
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = services.create_ticket(
            actor=request.user,
            title=data["title"],
            description=data["description"],
            priority=data["priority"],
            catalog_entry_id=data["catalog_entry"],
            custom_fields=data["custom_fields"],
            requester=data["requester"],
            channel=data["channel"],
            attachments=data["attachments"],
        )
        return created_response(request, ticket)


class TicketDetailView(APIView):
    parser_classes = PARSERS

    @extend_schema(
        operation_id="tickets_retrieve",
        responses={200: TicketDetailSerializer, **error_responses(401, 404)},
    )
    def get(self, request, ticket_id):
        return detail_response(request, ticket_id)

    @extend_schema(
        operation_id="tickets_partial_update",
        request=TicketUpdateSerializer,
        responses={200: TicketDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Edit title, description, priority or custom fields. Status, queue and "
        "assignee change only through the action endpoints.",
    )
    def patch(self, request, ticket_id):
        pk = _ticket_pk(ticket_id)
        _require_visible(request.user, pk)
        serializer = TicketUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_ticket(ticket_id=pk, actor=request.user, **serializer.validated_data)
        return detail_response(request, pk)


# --- actions --------------------------------------------------------------------------------


# Each action is a subclass made by `_action`: its service, its request body, and which body
# fields the service takes under which keyword.
class TicketActionView(APIView):
    """POST runs one service on the ticket and answers with the updated ticket."""

    parser_classes = PARSERS
    request_serializer = None
    service = None
    arguments: dict[str, str] = {}

    def post(self, request, ticket_id):
        pk = _ticket_pk(ticket_id)
        # Visibility first: a ticket the caller may not see is 404 whatever the body says.
        _require_visible(request.user, pk)
        data: dict = {}
        if self.request_serializer is not None:
            serializer = self.request_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        kwargs = {keyword: data[field] for keyword, field in self.arguments.items()}
        type(self).service(ticket_id=pk, actor=request.user, **kwargs)
        return detail_response(request, pk, after_action=True)


def _action(name, summary, service, request_serializer=None, errors=(), **arguments):
    """An action endpoint; `arguments` maps the service's keywords to request-body fields."""

    def post(self, request, ticket_id):
        return TicketActionView.post(self, request, ticket_id)

    schema = extend_schema(
        operation_id=f"tickets_{name}",
        summary=summary,
        request=request_serializer,
        responses={
            200: OpenApiResponse(TicketDetailSerializer, description="the updated ticket"),
            **error_responses(*(errors or (400, 401, 403, 404, 409))),
        },
    )
    return type(
        f"{name.title().replace('_', '')}View",
        (TicketActionView,),
        {
            "request_serializer": request_serializer,
            "service": staticmethod(service),
            "arguments": arguments,
            "post": schema(post),
            "__module__": __name__,
        },
    )


ClaimView = _action(
    "claim",
    "认领: make the caller the assignee",
    services.claim_ticket,
    errors=(401, 403, 404, 409),
)
UrgeView = _action(
    "urge",
    "催单: urge the assignee",
    services.urge_ticket,
    NoteSerializer,
    errors=(400, 401, 403, 404, 409, 429),
    note="note",
)
TransferView = _action(
    "transfer",
    "转单: to another queue (re-dispatched) and/or a person",
    services.transfer_ticket,
    TransferSerializer,
    queue_id="queue",
    assignee_id="assignee",
    note="note",
)
NeedInfoView = _action(
    "need_info",
    "要求补充: ask the requester for information",
    services.request_info,
    RequiredNoteSerializer,
    note="note",
)
ResumeView = _action(
    "resume", "补充完成: back to processing", services.resume_ticket, NoteSerializer, note="note"
)
ResolveView = _action(
    "resolve",
    "解决: hand over for confirmation",
    services.resolve_ticket,
    ResolveSerializer,
    resolution="resolution",
)
ConfirmView = _action(
    "confirm",
    "确认完成: the requester accepts",
    services.confirm_ticket,
    NoteSerializer,
    note="note",
)
ReopenView = _action(
    "reopen",
    "重新打开: back to processing",
    services.reopen_ticket,
    ReopenSerializer,
    reason="reason",
)
CloseView = _action("close", "关闭", services.close_ticket, NoteSerializer, note="note")
CancelView = _action(
    "cancel",
    "取消: withdrawn by the requester",
    services.cancel_ticket,
    CancelSerializer,
    reason="reason",
)


# --- comments, events, attachments ----------------------------------------------------------


class TicketCommentsView(generics.GenericAPIView):
    """Comments on a ticket, oldest first; internal ones only for the staff side."""

    serializer_class = CommentSerializer
    parser_classes = PARSERS
    filter_backends: list = []

    def get_queryset(self):
        ticket = get_visible_ticket(self.request, self.kwargs["ticket_id"])
        return selectors.ticket_comments(self.request.user, ticket)

    @extend_schema(
        operation_id="tickets_comments_list",
        responses={200: CommentSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, ticket_id):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        operation_id="tickets_comments_create",
        request={
            "application/json": CommentCreateSerializer,
            "multipart/form-data": CommentCreateSerializer,
        },
        responses={201: CommentSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, ticket_id):
        pk = _ticket_pk(ticket_id)
        _require_visible(request.user, pk)
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        comment = services.add_comment(
            ticket_id=pk,
            actor=request.user,
            body=data["body"],
            is_internal=data["is_internal"],
            attachments=data["attachments"],
        )
        comment = (
            type(comment)
            .objects.select_related("author")
            .prefetch_related("attachments")
            .get(pk=comment.pk)
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class TicketEventsView(generics.ListAPIView):
    """The activity log (流水日志), oldest first."""

    serializer_class = TicketEventSerializer
    filter_backends: list = []

    def get_queryset(self):
        ticket = get_visible_ticket(self.request, self.kwargs["ticket_id"])
        return selectors.ticket_events(self.request.user, ticket)

    @extend_schema(
        operation_id="tickets_events_list",
        responses={200: TicketEventSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TicketAttachmentView(APIView):
    """Download one attachment of a ticket the caller may see."""

    @extend_schema(
        operation_id="tickets_attachments_retrieve",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="the file"),
            **error_responses(401, 404),
        },
    )
    def get(self, request, ticket_id, attachment_id):
        ticket = get_visible_ticket(request, ticket_id)
        pk = parse_id(attachment_id)
        attachment: Attachment | None = (
            selectors.ticket_attachments(request.user, ticket).filter(pk=pk).first() if pk else None
        )
        if attachment is None:
            raise NotFound(_("附件不存在"))
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise NotFound(_("附件文件已丢失")) from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type or "application/octet-stream",
        )
