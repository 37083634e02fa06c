from rest_framework.pagination import CursorPagination, PageNumberPagination


class DefaultPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class TicketCursorPagination(CursorPagination):
    """Keyset pagination over the primary key: stable and O(page) at any depth."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 100
