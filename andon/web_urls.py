"""Web UI routes.

The top navigation shows a section only when its URL name exists (`{% url … as … %}`), so later
issues light up 报表 (`reports:index`), 知识库 (`knowledge:index`) and 配置 (`config:index`) by
adding their routes here; until then nothing links to a page that does not exist.
"""

from django.contrib.auth.decorators import login_required
from django.urls import include, path

from andon.accounts import views as account_views
from andon.core import views as core_views
from andon.notifications import views as notification_views
from andon.tickets import views as ticket_views
from andon.tickets.views.live import ticket_live

tickets = (
    [
        path("", ticket_views.ticket_list, name="list"),
        path("new/", ticket_views.ticket_create, name="create"),
        path("<int:pk>/", ticket_views.ticket_detail, name="detail"),
        path("<int:pk>/attachments/", ticket_views.ticket_attach, name="attach"),
        path(
            "<int:pk>/attachments/<int:attachment_id>/",
            ticket_views.attachment_download,
            name="attachment",
        ),
        path("<int:pk>/live/", ticket_live, name="live"),
        path("<int:pk>/<slug:action>/", ticket_views.ticket_action, name="action"),
    ],
    "tickets",
)

notifications = (
    [
        path("", notification_views.notification_list, name="list"),
        path("dropdown/", notification_views.dropdown, name="dropdown"),
        path("read/", notification_views.mark_all_read, name="mark_all_read"),
        path("<int:pk>/", notification_views.notification_open, name="open"),
    ],
    "notifications",
)


def account_views_password_urls():
    """One's own password: change (signed in) and reset by e-mail (Django's flow)."""
    done = account_views.PasswordMessageView.as_view
    return [
        path(
            "accounts/password/change/",
            login_required(account_views.PasswordChangeView.as_view()),
            name="password_change",
        ),
        path(
            "accounts/password/change/done/",
            login_required(done(step="changed")),
            name="password_change_done",
        ),
        path(
            "accounts/password/reset/",
            account_views.PasswordResetView.as_view(),
            name="password_reset",
        ),
        path("accounts/password/reset/sent/", done(step="sent"), name="password_reset_done"),
        path(
            "accounts/password/reset/<uidb64>/<token>/",
            account_views.PasswordResetConfirmView.as_view(),
            name="password_reset_confirm",
        ),
        path(
            "accounts/password/reset/complete/",
            done(step="complete"),
            name="password_reset_complete",
        ),
    ]


urlpatterns = [
    path("", core_views.home, name="home"),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", account_views.LogoutView.as_view(), name="logout"),
    *account_views_password_urls(),
    path("i18n/", include("django.conf.urls.i18n")),
    path("tickets/views/", include(("andon.savedviews.urls", "savedviews"))),
    path("tickets/", include(tickets)),
    path("notifications/", include(notifications)),
    path("config/", include("andon.config_urls")),
    path("reports/", include(("andon.reports.urls", "reports"))),
    path("knowledge/", include(("andon.knowledge.urls", "knowledge"))),
    path("sidebar/", include(("andon.customers.urls", "customers"))),
    path("portal/", include(("andon.portal.urls", "portal"))),
]
