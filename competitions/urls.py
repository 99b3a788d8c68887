"""Site URLs of the competitions app: pages, the team's actions, the organisers' controls, API."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from competitions.views import organiser, public, team

urlpatterns = [
    path("", public.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("c/<slug:slug>/", public.competition, name="competition"),
    path("c/<slug:slug>/leaderboard/<slug:phase_key>/", public.leaderboard, name="leaderboard"),
    path("team/", team.team_page, name="team"),
    path("team/token/", team.create_token, name="create-token"),
    path("team/token/revoke/", team.revoke_token, name="revoke-token"),
    path("c/<slug:slug>/how-to-submit/", public.how_to_submit, name="how-to-submit"),
    path("c/<slug:slug>/starter-kit.tar.gz", public.starter_kit, name="starter-kit"),
    path("c/<slug:slug>/sample-input.tar.gz", public.sample_input, name="sample-input"),
    path("team/submit/<slug:slug>/<slug:phase_key>/", team.submit_view, name="submit"),
    path("runs/<int:run_id>/", team.run_detail, name="run"),
    path("runs/<int:run_id>/cancel/", team.cancel_run, name="cancel-run"),
    path("submissions/<int:submission_id>/code/", team.code_download, name="code-download"),
    path("organiser/<slug:slug>/", organiser.organiser, name="organiser"),
    path("organiser/<slug:slug>/limits/", organiser.organiser_limits, name="organiser-limits"),
    path("organiser/<slug:slug>/rule/", organiser.organiser_rule, name="organiser-rule"),
    path(
        "organiser/<slug:slug>/phases/<slug:phase_key>/rules/",
        organiser.organiser_phase_rules,
        name="organiser-phase-rules",
    ),
    path(
        "organiser/<slug:slug>/phases/<slug:phase_key>/<slug:action>/",
        organiser.organiser_phase_action,
        name="organiser-phase-action",
    ),
    path(
        "organiser/runs/<int:run_id>/<slug:action>/",
        organiser.organiser_run_action,
        name="organiser-run-action",
    ),
    path("api/v1/", include("competitions.api.urls")),
]
