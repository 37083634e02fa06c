"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.accounts.api import auth, departments, imports, people, roles

user = "users/<int:user_id>/"
role = "roles/<int:role_id>/"
job = "imports/<int:job_id>/"

urlpatterns = [
    path("auth/token/", auth.AuthTokenView.as_view(), name="auth-token"),
    path("me/", auth.MeView.as_view(), name="me"),
    path("users/", people.UserListView.as_view(), name="user-list"),
    path(user, people.UserDetailView.as_view(), name="user-detail"),
    path(user + "deactivate/", people.UserDeactivateView.as_view(), name="user-deactivate"),
    path(user + "reactivate/", people.UserReactivateView.as_view(), name="user-reactivate"),
    path("departments/", departments.DepartmentListView.as_view(), name="department-list"),
    path(
        "departments/<int:department_id>/",
        departments.DepartmentDetailView.as_view(),
        name="department-detail",
    ),
    path("roles/", roles.RoleListView.as_view(), name="role-list"),
    path(role, roles.RoleDetailView.as_view(), name="role-detail"),
    path(role + "members/", roles.RoleMembersView.as_view(), name="role-members"),
    path("permissions/", roles.PermissionListView.as_view(), name="permission-list"),
    path("imports/", imports.ImportCreateView.as_view(), name="import-create"),
    path(job, imports.ImportDetailView.as_view(), name="import-detail"),
    path(job + "confirm/", imports.ImportConfirmView.as_view(), name="import-confirm"),
    *[
        path(
            f"exports/{kind}.{fmt}",
            imports.ExportView.as_view(kind=kind, fmt=fmt),
            name=f"export-{kind}-{fmt}",
        )
        for kind in ("people", "departments")
        for fmt in ("csv", "xlsx")
    ],
]
