"""Site URLs of the competitions app (pages and API)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from competitions import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
