"""Configuration pages of this area, mounted under /config/ (namespace "config")."""

from django.urls import path

from andon.accounts import admin_views as views

urlpatterns = [
    path("roles/", views.role_list, name="roles"),
    path("roles/<int:pk>/", views.role_detail, name="role"),
    path("roles/<int:pk>/members/", views.role_members, name="role_members"),
    path("roles/<int:pk>/delete/", views.role_delete, name="role_delete"),
    path("people/", views.people_list, name="people"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_edit, name="person"),
    path("people/<int:pk>/deactivate/", views.person_deactivate, name="person_deactivate"),
    path("people/<int:pk>/reactivate/", views.person_reactivate, name="person_reactivate"),
    path("departments/", views.department_list, name="departments"),
    path("departments/<int:pk>/", views.department_edit, name="department"),
    path("departments/<int:pk>/delete/", views.department_delete, name="department_delete"),
    path("import/", views.import_start, name="import"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
]
