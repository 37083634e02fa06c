"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.customers import api

urlpatterns = [
    path("customers/", api.CustomerListView.as_view(), name="customer-list"),
    path("customers/<int:customer_id>/", api.CustomerDetailView.as_view(), name="customer-detail"),
    path(
        "customers/<int:customer_id>/tickets/",
        api.CustomerTicketsView.as_view(),
        name="customer-tickets",
    ),
    path("contacts/", api.ContactListView.as_view(), name="contact-list"),
    path("contacts/<int:contact_id>/", api.ContactDetailView.as_view(), name="contact-detail"),
    path(
        "contacts/<int:contact_id>/tickets/",
        api.ContactTicketsView.as_view(),
        name="contact-tickets",
    ),
    path("group-chats/", api.GroupChatListView.as_view(), name="group-chat-list"),
    path(
        "group-chats/<int:group_chat_id>/",
        api.GroupChatDetailView.as_view(),
        name="group-chat-detail",
    ),
    path(
        "group-chats/<int:group_chat_id>/tickets/",
        api.GroupChatTicketsView.as_view(),
        name="group-chat-tickets",
    ),
    path("handover/", api.HandoverView.as_view(), name="handover"),
]
