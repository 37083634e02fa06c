from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


class DefaultPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        # A page number that is not a number or past the end is bad input (400, as for a bad
        # cursor), not a missing resource.
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise ValidationError({self.page_query_param: [_("无效的页码")]}) from None


class TicketCursorPagination(CursorPagination):
    """Keyset pagination over the primary key: stable and O(page) at any depth."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 100
