"""Site URLs of the competitions app: pages, the team's actions, the organisers' controls, API."""

from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from competitions.services.invitations import MemberPasswordResetForm
from competitions.views import (
    debug,
    editions,
    huddle,
    organiser,
    pairing,
    public,
    team,
    upload_gate,
)

urlpatterns = [
    path("", public.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Invitations and "forgot password" share Django's reset machinery (services/invitations.py).
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(form_class=MemberPasswordResetForm),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/set/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            post_reset_login=True,
            post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
            success_url=reverse_lazy("home"),
        ),
        name="password_reset_confirm",
    ),
    path("c/<slug:slug>/", public.competition, name="competition"),
    path("c/<slug:slug>/leaderboard/<slug:phase_key>/", public.leaderboard, name="leaderboard"),
    path(
        "c/<slug:slug>/leaderboard/<slug:phase_key>/csv/",
        public.leaderboard_csv,
        name="leaderboard-csv",
    ),
    path("team/", team.team_page, name="team"),
    path("team/attempts.csv", team.attempts_csv, name="team-attempts-csv"),
    path("team/emails/", team.email_preference, name="team-emails"),
    path("team/name/", team.team_name, name="team-name"),
    path("team/token/", team.create_token, name="create-token"),
    path("team/token/revoke/", team.revoke_token, name="revoke-token"),
    path("c/<slug:slug>/how-to-submit/", public.how_to_submit, name="how-to-submit"),
    path("c/<slug:slug>/starter-kit.tar.gz", public.starter_kit, name="starter-kit"),
    path("c/<slug:slug>/sample-input.tar.gz", public.sample_input, name="sample-input"),
    path("team/submit/<slug:slug>/<slug:phase_key>/", team.submit_view, name="submit"),
    path(
        "team/select/<slug:slug>/<slug:phase_key>/",
        team.select_for_final_view,
        name="select-for-final",
    ),
    # Asked by the proxy before it reads a submission's body (docker/nginx.conf.template).
    path("uploads/allowed/", upload_gate.upload_allowed, name="upload-allowed"),
    path("runs/<int:run_id>/", team.run_detail, name="run"),
    path("c/<slug:slug>/debug-runs/", debug.debug_runs, name="debug-runs"),
    path("team/debug/<slug:slug>/", debug.debug_start, name="debug-start"),
    path("debug-runs/<int:debug_run_id>/", debug.debug_run_detail, name="debug-run"),
    path("runs/<int:run_id>/cancel/", team.cancel_run, name="cancel-run"),
    path("submissions/<int:submission_id>/code/", team.code_download, name="code-download"),
    path("c/<slug:slug>/huddle/<slug:phase_key>/", huddle.huddle, name="huddle"),
    path(
        "c/<slug:slug>/huddle/<slug:phase_key>/standings.svg",
        huddle.standings_svg,
        name="huddle-standings-svg",
    ),
    path("hall-of-fame/", huddle.hall_of_fame, name="hall-of-fame"),
    path("organiser/<slug:slug>/", organiser.organiser, name="organiser"),
    path(
        "organiser/<slug:slug>/next-edition/",
        editions.organiser_next_edition,
        name="organiser-next-edition",
    ),
    path("organiser/<slug:slug>/what-if/", organiser.organiser_what_if, name="organiser-what-if"),
    path(
        "organiser/<slug:slug>/phases/<slug:phase_key>/stage/",
        organiser.organiser_close_stage,
        name="organiser-close-stage",
    ),
    path("organiser/<slug:slug>/pairing/", pairing.pairing, name="organiser-pairing"),
    path(
        "organiser/<slug:slug>/pairing/<slug:action>/",
        pairing.pairing_action,
        name="organiser-pairing-action",
    ),
    path("organiser/<slug:slug>/limits/", organiser.organiser_limits, name="organiser-limits"),
    path("organiser/<slug:slug>/rule/", organiser.organiser_rule, name="organiser-rule"),
    path(
        "organiser/<slug:slug>/phases/<slug:phase_key>/publish/confirm/",
        organiser.confirm_publish,
        name="organiser-confirm-publish",
    ),
    path(
        "organiser/<slug:slug>/phases/<slug:phase_key>/audit/",
        organiser.organiser_audit,
        name="organiser-audit",
    ),
    path(
        "organiser/audits/<int:audit_id>/cancel/",
        organiser.organiser_audit_cancel,
        name="organiser-audit-cancel",
    ),
    path(
        "organiser/<slug:slug>/phases/<slug:phase_key>/rules/",
        organiser.organiser_phase_rules,
        name="organiser-phase-rules",
    ),
    path(
        "organiser/<slug:slug>/phases/<slug:phase_key>/teams-see/",
        organiser.organiser_teams_see,
        name="organiser-teams-see",
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
