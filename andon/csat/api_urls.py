"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.csat import api

urlpatterns = [
    path("reports/csat/", api.CsatReportView.as_view(), name="reports-csat"),
    path("tickets/<int:ticket_id>/rating/", api.TicketRatingView.as_view(), name="ticket-rating"),
]
