"""Customers, contacts and group chats API, a customer's tickets, and handover.

Permissions: reading needs `tickets.create` or `people.view` (frontline people); creating needs
`tickets.create` or `people.manage`; editing and deleting a record needs to own it or
`people.manage`. Handover needs `people.manage` and `tickets.manage` (administrators)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from andon.core.api import (
    EmailOrBlankField,
    IdField,
    PermissionByMethod,
    UserRefSerializer,
    error_responses,
    parse_id,
)
from andon.core.errors import NotFound
from andon.customers import handover, selectors, services
from andon.customers.models import Contact, Customer, CustomerGroupChat
from andon.tags.selectors import with_tags
from andon.tickets.models import Ticket
from andon.tickets.serializers import TicketSerializer


class FrontlinePermission(PermissionByMethod):
    """Signed in (401 otherwise) and a frontline reader (403 otherwise); methods as everywhere."""

    def has_permission(self, request, view) -> bool:
        allowed = super().has_permission(request, view)
        if allowed or not (request.user and request.user.is_authenticated):
            return allowed
        self.message = _("没有查看客户资料的权限")
        return False

    def may_use(self, request, view, method: str) -> bool:
        return selectors.can_read(request.user) and super().may_use(request, view, method)


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class CustomerSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "owner", "note", "created_at", "updated_at"]
        read_only_fields = fields


class CustomerWriteSerializer(serializers.Serializer):
    """Shape only; the rules live in `customers.services`."""

    name = serializers.CharField(trim_whitespace=False, allow_blank=True)
    owner = IdField(required=False, allow_null=True, help_text="user id; defaults to the caller")
    note = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class ContactSerializer(serializers.ModelSerializer):
    email = EmailOrBlankField(read_only=True)
    customer = CustomerRefSerializer(read_only=True, allow_null=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "name",
            "phone",
            "email",
            "external_userid",
            "union_id",
            "customer",
            "owner",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContactWriteSerializer(serializers.Serializer):
    name = serializers.CharField(trim_whitespace=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True)
    external_userid = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    union_id = serializers.CharField(required=False, allow_blank=True)
    customer = IdField(required=False, allow_null=True)
    owner = IdField(required=False, allow_null=True)


class GroupChatSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer(read_only=True, allow_null=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)
    agents = UserRefSerializer(many=True, read_only=True)

    class Meta:
        model = CustomerGroupChat
        fields = [
            "id",
            "chat_id",
            "name",
            "customer",
            "owner",
            "agents",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class GroupChatWriteSerializer(serializers.Serializer):
    chat_id = serializers.CharField(trim_whitespace=False, allow_blank=True)
    name = serializers.CharField(trim_whitespace=False, allow_blank=True)
    customer = IdField(required=False, allow_null=True)
    owner = IdField(required=False, allow_null=True)
    agents = serializers.ListField(child=IdField(), required=False, help_text="serving users")


Q_PARAM = OpenApiParameter("q", str, description="search text")


class _Resource:
    """One resource's pieces: model, queryset, serializers and services."""

    def __init__(self, *, name, label, queryset, read, write, create, update, delete, id_kw):
        self.name, self.label = name, label
        self.queryset, self.read, self.write = queryset, read, write
        self.create, self.update, self.delete, self.id_kw = create, update, delete, id_kw


RESOURCES = {
    "customers": _Resource(
        name="customers",
        label=_("客户"),
        queryset=lambda user, q: selectors.customer_list(user=user, q=q),
        read=CustomerSerializer,
        write=CustomerWriteSerializer,
        create=services.create_customer,
        update=services.update_customer,
        delete=services.delete_customer,
        id_kw="customer_id",
    ),
    "contacts": _Resource(
        name="contacts",
        label=_("联系人"),
        queryset=lambda user, q: selectors.contact_list(user=user, q=q),
        read=ContactSerializer,
        write=ContactWriteSerializer,
        create=services.create_contact,
        update=services.update_contact,
        delete=services.delete_contact,
        id_kw="contact_id",
    ),
    "group_chats": _Resource(
        name="group_chats",
        label=_("客户群"),
        queryset=lambda user, q: selectors.group_chat_list(user=user, q=q),
        read=GroupChatSerializer,
        write=GroupChatWriteSerializer,
        create=services.create_group_chat,
        update=services.update_group_chat,
        delete=services.delete_group_chat,
        id_kw="group_chat_id",
    ),
}


class _ListView(generics.GenericAPIView):
    permission_classes = [FrontlinePermission]
    filter_backends: list = []
    resource: str = ""

    @property
    def res(self) -> _Resource:
        return RESOURCES[self.resource]

    def get_serializer_class(self):
        return self.res.read

    def get_queryset(self):
        return self.res.queryset(self.request.user, self.request.query_params.get("q", "")[:100])

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.res.read(page, many=True).data)

    def post(self, request):
        serializer = self.res.write(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.res.create(actor=request.user, **serializer.validated_data)
        obj = self.res.queryset(request.user, "").get(pk=obj.pk)
        return Response(self.res.read(obj).data, status=status.HTTP_201_CREATED)


class _DetailView(generics.GenericAPIView):
    permission_classes = [FrontlinePermission]
    resource: str = ""

    @property
    def res(self) -> _Resource:
        return RESOURCES[self.resource]

    def get_serializer_class(self):
        return self.res.read

    def get_object(self):
        pk = parse_id(self.kwargs[self.res.id_kw])
        obj = self.res.queryset(self.request.user, "").filter(pk=pk).first() if pk else None
        if obj is None:
            raise NotFound(_("%s不存在") % self.res.label)
        return obj

    def get(self, request, **kwargs):
        return Response(self.res.read(self.get_object()).data)

    def patch(self, request, **kwargs):
        obj = self.get_object()
        serializer = self.res.write(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        self.res.update(actor=request.user, **{self.res.id_kw: obj.pk}, **serializer.validated_data)
        return Response(self.res.read(self.get_object()).data)

    def delete(self, request, **kwargs):
        obj = self.get_object()
        self.res.delete(actor=request.user, **{self.res.id_kw: obj.pk})
        return Response(status=status.HTTP_204_NO_CONTENT)


class _PagedTicketsSchema(AutoSchema):
    """These lists are paged by number (open tickets first), unlike /tickets/ (a cursor over
    ids): their page needs its own component, or one of the two bodies is misdescribed."""

    def get_paginated_name(self, serializer_name: str) -> str:
        return f"Paged{serializer_name}List"


class _TicketsView(generics.GenericAPIView):
    """That record's tickets the caller may see (via `visible_tickets`), open first."""

    schema = _PagedTicketsSchema()
    permission_classes = [FrontlinePermission]
    serializer_class = TicketSerializer
    queryset = Ticket.objects.none()
    resource: str = ""

    def get(self, request, **kwargs):
        res = RESOURCES[self.resource]
        pk = parse_id(self.kwargs[res.id_kw])
        obj = res.queryset(request.user, "").filter(pk=pk).first() if pk else None
        if obj is None:
            raise NotFound(_("%s不存在") % res.label)
        key = {"customers": "customer", "contacts": "contact", "group_chats": "group_chat"}
        qs = selectors.origin_tickets(request.user, **{key[self.resource]: obj}).select_related(
            "created_by"
        )
        page = self.paginate_queryset(with_tags(qs))
        return self.get_paginated_response(TicketSerializer(page, many=True).data)


def _method(base, name):
    """A fresh function per view class, so each class carries its own schema description."""
    inner = getattr(base, name)

    def method(self, request, *args, **kwargs):
        return inner(self, request, *args, **kwargs)

    method.__name__ = name
    return method


def _documented(base, resource: str, tag: str, read, write, *, detail=False, tickets=False):
    """A concrete view class for `resource` with its OpenAPI description."""
    attrs = {"resource": resource}
    if tickets:
        attrs["get"] = extend_schema(
            operation_id=f"{resource}_tickets",
            tags=[tag],
            responses={200: TicketSerializer(many=True), **error_responses(401, 403, 404)},
        )(_method(base, "get"))
    elif detail:
        attrs["get"] = extend_schema(
            operation_id=f"{resource}_retrieve",
            tags=[tag],
            responses={200: read, **error_responses(401, 403, 404)},
        )(_method(base, "get"))
        attrs["patch"] = extend_schema(
            operation_id=f"{resource}_update",
            tags=[tag],
            request=write,
            responses={200: read, **error_responses(400, 401, 403, 404)},
        )(_method(base, "patch"))
        attrs["delete"] = extend_schema(
            operation_id=f"{resource}_delete",
            tags=[tag],
            responses={204: None, **error_responses(401, 403, 404, 409)},
        )(_method(base, "delete"))
    else:
        attrs["get"] = extend_schema(
            operation_id=f"{resource}_list",
            tags=[tag],
            parameters=[Q_PARAM],
            responses={200: read(many=True), **error_responses(401, 403)},
        )(_method(base, "get"))
        attrs["post"] = extend_schema(
            operation_id=f"{resource}_create",
            tags=[tag],
            request=write,
            responses={201: read, **error_responses(400, 401, 403)},
        )(_method(base, "post"))
    suffix = "Tickets" if tickets else ("Detail" if detail else "List")
    name = "".join(part.title() for part in resource.split("_")) + suffix + "View"
    return type(name, (base,), attrs)


CustomerListView = _documented(
    _ListView, "customers", "customers", CustomerSerializer, CustomerWriteSerializer
)
CustomerDetailView = _documented(
    _DetailView, "customers", "customers", CustomerSerializer, CustomerWriteSerializer, detail=True
)
CustomerTicketsView = _documented(_TicketsView, "customers", "customers", None, None, tickets=True)
ContactListView = _documented(
    _ListView, "contacts", "customers", ContactSerializer, ContactWriteSerializer
)
ContactDetailView = _documented(
    _DetailView, "contacts", "customers", ContactSerializer, ContactWriteSerializer, detail=True
)
ContactTicketsView = _documented(_TicketsView, "contacts", "customers", None, None, tickets=True)
GroupChatListView = _documented(
    _ListView, "group_chats", "customers", GroupChatSerializer, GroupChatWriteSerializer
)
GroupChatDetailView = _documented(
    _DetailView,
    "group_chats",
    "customers",
    GroupChatSerializer,
    GroupChatWriteSerializer,
    detail=True,
)
GroupChatTicketsView = _documented(
    _TicketsView, "group_chats", "customers", None, None, tickets=True
)


class HandoverRequestSerializer(serializers.Serializer):
    from_user = IdField(help_text="the person leaving")
    to_user = IdField(help_text="the successor")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class HandoverTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()


class HandoverResultSerializer(serializers.Serializer):
    from_user = CustomerRefSerializer()
    to_user = CustomerRefSerializer()
    tickets = HandoverTicketSerializer(many=True)
    customers = serializers.IntegerField()
    contacts = serializers.IntegerField()
    group_chats_owned = serializers.IntegerField()
    group_chats_served = serializers.IntegerField()


class HandoverView(generics.GenericAPIView):
    """轻量交接: move a person's unfinished tickets, customers, contacts and group chats to a
    successor in one step (administrators)."""

    permission_classes = [FrontlinePermission]
    serializer_class = HandoverRequestSerializer

    @extend_schema(
        operation_id="handover",
        tags=["customers"],
        request=HandoverRequestSerializer,
        responses={200: HandoverResultSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = HandoverRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = handover.hand_over(actor=request.user, **serializer.validated_data)
        return Response(HandoverResultSerializer(result).data)
