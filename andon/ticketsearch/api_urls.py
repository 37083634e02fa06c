"""API routes of ticket search, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.ticketsearch import api

urlpatterns = [path("tickets/search/", api.TicketSearchView.as_view(), name="ticket-search")]
