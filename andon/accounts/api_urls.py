"""API routes of this area, mounted under /api/v1/ (namespace "api").

GET/POST /users/ and /departments/ are routed in andon/api_urls.py (UserListView and
DepartmentListView answer both methods)."""

from django.urls import path

from andon.accounts import api

user = "users/<int:user_id>/"
role = "roles/<int:role_id>/"
job = "imports/<int:job_id>/"

urlpatterns = [
    path(user, api.UserDetailView.as_view(), name="user-detail"),
    path(user + "deactivate/", api.UserDeactivateView.as_view(), name="user-deactivate"),
    path(user + "reactivate/", api.UserReactivateView.as_view(), name="user-reactivate"),
    path(
        "departments/<int:department_id>/",
        api.DepartmentDetailView.as_view(),
        name="department-detail",
    ),
    path("roles/", api.RoleListView.as_view(), name="role-list"),
    path(role, api.RoleDetailView.as_view(), name="role-detail"),
    path(role + "members/", api.RoleMembersView.as_view(), name="role-members"),
    path("permissions/", api.PermissionListView.as_view(), name="permission-list"),
    path("imports/", api.ImportCreateView.as_view(), name="import-create"),
    path(job, api.ImportDetailView.as_view(), name="import-detail"),
    path(job + "confirm/", api.ImportConfirmView.as_view(), name="import-confirm"),
    *[
        path(
            f"exports/{kind}.{fmt}",
            api.ExportView.as_view(kind=kind, fmt=fmt),
            name=f"export-{kind}-{fmt}",
        )
        for kind in ("people", "departments")
        for fmt in ("csv", "xlsx")
    ],
]
