"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.macros import api

urlpatterns = [
    path("macros/", api.MacroListView.as_view(), name="macro-list"),
    path("macros/<int:macro_id>/", api.MacroDetailView.as_view(), name="macro-detail"),
    path("tickets/<int:ticket_id>/macros/", api.TicketMacrosView.as_view(), name="ticket-macros"),
    path(
        "tickets/<int:ticket_id>/macros/<int:macro_id>/apply/",
        api.ApplyMacroView.as_view(),
        name="ticket-macro-apply",
    ),
]
