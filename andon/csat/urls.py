"""Web routes of CSAT, mounted at /csat/ (namespace "csat"): the desk ticket page's rating form
posts to `tickets/<pk>/`; `r/<token>/` is the signed e-mail link (open to portal sessions too,
see andon.portal.middleware)."""

from django.urls import path

from andon.csat import views

urlpatterns = [
    path("tickets/<int:pk>/", views.desk_rate, name="rate"),
    path("r/<str:token>/", views.rate_by_link, name="link"),
]
