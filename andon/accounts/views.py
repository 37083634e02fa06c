"""Sign-in and sign-out. Django's own views (CSRF-protected, safe redirects), with our templates."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from andon.accounts import services
from andon.core import throttling


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link cannot sign anyone out."""


# --- one's own password: change it signed in, or reset it by e-mail -----------------------------
# Django's views and forms (validators, one-time tokens, no account probing); the new password
# is saved through `change_own_password`, which also revokes the person's API tokens.


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        services.change_own_password(user=form.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)
        messages.success(self.request, _("密码已修改，API 令牌已作废"))
        return redirect(self.success_url)


class PasswordResetView(auth_views.PasswordResetView):
    """Always says the same, known address or not; throttled per address (mail bombing)."""

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def post(self, request, *args, **kwargs):
        retry_after = throttling.hit("password_reset_address", throttling.client_ip(request))
        if retry_after:
            return throttling.too_many_requests(request, retry_after)
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        services.change_own_password(user=form.user, password=form.cleaned_data["new_password1"])
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        return redirect(self.success_url)


class PasswordMessageView(TemplateView):
    """The small pages after a change, a sent reset mail and a completed reset."""

    template_name = "registration/password_message.html"
    step = ""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "step": self.step}
