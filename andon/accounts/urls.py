"""Web routes for signing in and out and one's own password (change signed in, reset by e-mail:
Django's flow), mounted at the site root without a namespace (Django's auth views reverse these
names). The people and org chart configuration pages are admin_urls.py, under /config/org/."""

from django.contrib.auth.decorators import login_required
from django.urls import path

from andon.accounts import views

done = views.PasswordMessageView.as_view

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        login_required(views.PasswordChangeView.as_view()),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        login_required(done(step="changed")),
        name="password_change_done",
    ),
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", done(step="sent"), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        done(step="complete"),
        name="password_reset_complete",
    ),
]
