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

from andon.core.api import PermissionByMethod, editable_body, error_responses, parse_id
from andon.core.errors import NotFound
from andon.core.pagination import TicketCursorPagination
from andon.tags.selectors import with_tags
from andon.tickets import bodies, selectors, services, workflow
from andon.tickets.filters import TicketFilter
from andon.tickets.models import Attachment, Ticket
from andon.tickets.serializers import (
    CommentCreateSerializer,
    CommentSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketEventSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
    action_serializer,
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


def _list_queryset(user):
    return with_tags(
        selectors.with_list_relations(selectors.visible_tickets(user)).select_related("created_by")
    )


def get_ticket(request, ticket_id) -> Ticket:
    """The ticket as the detail body needs it (its files prefetched); NotFound (404) when missing
    or not visible to the caller."""
    return selectors.get_visible_ticket(
        request.user, ticket_id, within=selectors.ticket_detail_queryset(request.user)
    )


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
    body = bodies.ticket_detail(ticket, request.user)
    response = Response(body, status=status_code)
    # The edit version: send it back in If-Match (or as `version`) so a concurrent edit of the
    # same field is refused (409) instead of overwritten.
    response["ETag"] = f'"{ticket.version}"'
    return response


def valid_body(request, ticket_id, serializer_class) -> dict:
    """The validated body of an action on a ticket. Visibility comes first (a ticket the caller
    may not see is 404 whatever the body says), but the service checks it anyway under the
    ticket's lock, so it is looked up here only when the body is refused."""
    serializer = serializer_class(data=request.data)
    if not serializer.is_valid():
        selectors.get_visible_ticket(request.user, ticket_id)
        serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def created_response(request, ticket: Ticket) -> Response:
    """The body of a ticket just filed, from the objects the service wrote instead of a second
    read: its filer may always see it, and every file it has hangs on the ticket itself (no
    comment yet), so all of them are shown; without uploads in the request there are none. Filing
    tags nothing, so its tags are known too."""
    files = list(ticket.attachments.all()) if request.FILES else []
    body = bodies.ticket_detail(ticket, request.user, attachments=files, tags=[])
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
            origin={"kind": "api"},
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
        description="Edit title, description, priority, catalog entry (re-dispatched when its "
        "queue differs) or custom fields. Send the version you edited (`version`, or the "
        "detail's ETag in `If-Match`): a field someone else changed since is refused with 409 "
        "(`edit_conflict`) if you changed it too. Status, queue and assignee change only "
        "through the action endpoints.",
    )
    def patch(self, request, ticket_id):
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
        pk = ticket.pk
        if_match = request.headers.get("If-Match", "").strip()
        sent = if_match if if_match and if_match != "*" else None
        if sent is None and hasattr(request.data, "get"):
            sent = request.data.get("version")
        # A body from an older version differs from today's in its read-only fields by
        # definition (updated_at, status …): those are not compared then, and the editable
        # fields go through the service's three-way merge, which refuses a lost update (409).
        stale = sent is not None and str(sent).strip('W/"') != str(ticket.version)
        body = editable_body(
            request.data,
            write=TicketUpdateSerializer,
            read=TicketDetailSerializer,
            current=None if stale else detail_response(request, pk).data,
        )
        serializer = TicketUpdateSerializer(data=body)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version", None)
        if if_match and if_match != "*":
            version = if_match
        services.update_ticket(ticket_id=pk, actor=request.user, version=version, **changes)
        # A new catalog entry may have moved the ticket out of the editor's sight.
        return detail_response(request, pk, after_action=True)

    @extend_schema(
        operation_id="tickets_update",
        request=TicketUpdateSerializer,
        responses={200: TicketDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="The GET representation with your edits to title, description, priority "
        "or custom fields. Other fields sent back unchanged are ignored; changing one of them "
        "(status, queue, assignee …) is refused — use the action endpoints.",
    )
    def put(self, request, ticket_id):
        return self.patch(request, ticket_id)


# --- actions --------------------------------------------------------------------------------


# One endpoint per action of the workflow table that has its own address (`edit` is PATCH on the
# ticket, `comment` POST on its comments): its body is made from the action's inputs, and the
# body's fields reach the service under the inputs' keywords.
class TicketActionView(APIView):
    """POST runs one action's service on the ticket and answers with the updated ticket."""

    parser_classes = PARSERS
    step: workflow.Action  # not `action`: DRF and drf-spectacular read that name
    body: type | None = None  # the request serializer, made once from the action's inputs

    def post(self, request, ticket_id):
        data: dict = {}
        if self.body is not None:
            data = valid_body(request, ticket_id, self.body)
        pk = selectors.ticket_pk(ticket_id)
        if pk is None:
            raise NotFound(_("工单不存在或无权查看"))
        kwargs = {spec.argument: data[spec.name] for spec in self.step.inputs}
        getattr(services, self.step.service)(ticket_id=pk, actor=request.user, **kwargs)
        return detail_response(request, pk, after_action=True)


SUMMARIES = {
    "claim": "make the caller the assignee",
    "take-over": "make the caller the assignee of a ticket someone else holds (认领)",
    "urge": "urge the assignee",
    "transfer": "to another queue (re-dispatched) and/or a person",
    "need-info": "ask the requester for information",
    "resume": "back to processing",
    "resolve": "hand over for confirmation",
    "confirm": "the requester accepts",
    "reopen": "back to processing",
    "close": "closed for good",
    "cancel": "withdrawn by the requester",
}
# Refusals beyond the workflow's own 403/409 (and 400 for a body).
EXTRA_ERRORS = {"urge": (429,)}


def _action_view(action: workflow.Action) -> type[TicketActionView]:
    def post(self, request, ticket_id):
        return TicketActionView.post(self, request, ticket_id)

    body = action_serializer(action)
    errors = (*((400,) if body else ()), 401, 403, 404, 409, *EXTRA_ERRORS.get(action.name, ()))
    schema = extend_schema(
        operation_id="tickets_" + action.name.replace("-", "_"),
        summary=f"{action.label}: {SUMMARIES.get(action.name, '')}",
        request=body,
        responses={
            200: OpenApiResponse(TicketDetailSerializer, description="the updated ticket"),
            **error_responses(*errors),
        },
    )
    return type(
        "".join(part.title() for part in action.name.split("-")) + "View",
        (TicketActionView,),
        {"step": action, "body": body, "post": schema(post), "__module__": __name__},
    )


# The endpoints, by action name, for the URL list.
ACTION_VIEWS = {
    name: _action_view(workflow.get(name))
    for name in workflow.names(workflow.API)
    if name not in ("edit", "comment")
}


# --- comments, events, attachments ----------------------------------------------------------


class TicketCommentsView(generics.GenericAPIView):
    """Comments on a ticket, oldest first; internal ones only for the staff side."""

    serializer_class = CommentSerializer
    parser_classes = PARSERS
    filter_backends: list = []

    def get_queryset(self):
        ticket = selectors.get_visible_ticket(self.request.user, self.kwargs["ticket_id"])
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
        data = valid_body(request, ticket_id, CommentCreateSerializer)
        pk = selectors.ticket_pk(ticket_id)
        if pk is None:
            raise NotFound(_("工单不存在或无权查看"))
        comment = services.add_comment(
            ticket_id=pk,
            actor=request.user,
            body=data["body"],
            is_internal=data["is_internal"],
            attachments=data["attachments"],
        )
        # Answered from what the service wrote: its author is the caller, and its files are the
        # ones uploaded with this request (none without uploads).
        files = Attachment.objects.all() if request.FILES else Attachment.objects.none()
        prefetch_related_objects([comment], Prefetch("attachments", queryset=files))
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class TicketEventsView(generics.ListAPIView):
    """The activity log (流水日志), oldest first."""

    serializer_class = TicketEventSerializer
    filter_backends: list = []

    def get_queryset(self):
        ticket = selectors.get_visible_ticket(self.request.user, self.kwargs["ticket_id"])
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
        ticket = selectors.get_visible_ticket(request.user, ticket_id)
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
