"""Site URLs of the competitions app: pages, the team's actions, the organisers' controls, API."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from competitions import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("c/<slug:slug>/", views.competition, name="competition"),
    path("c/<slug:slug>/leaderboard/<slug:phase_key>/", views.leaderboard, name="leaderboard"),
    path("team/", views.team_page, name="team"),
    path("team/submit/<slug:slug>/<slug:phase_key>/", views.submit_view, name="submit"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/cancel/", views.cancel_run, name="cancel-run"),
    path("submissions/<int:submission_id>/code/", views.code_download, name="code-download"),
    path("organiser/<slug:slug>/", views.organiser, name="organiser"),
    path("organiser/<slug:slug>/limits/", views.organiser_limits, name="organiser-limits"),
    path("organiser/<slug:slug>/rule/", views.organiser_rule, name="organiser-rule"),
    path(
        "organiser/<slug:slug>/phases/<slug:phase_key>/rules/",
        views.organiser_phase_rules,
        name="organiser-phase-rules",
    ),
    path(
        "organiser/<slug:slug>/phases/<slug:phase_key>/<slug:action>/",
        views.organiser_phase_action,
        name="organiser-phase-action",
    ),
    path(
        "organiser/runs/<int:run_id>/<slug:action>/",
        views.organiser_run_action,
        name="organiser-run-action",
    ),
    path("api/v1/", include("competitions.api.urls")),
]
