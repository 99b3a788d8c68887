"""URLs of the REST API, mounted under /api/v1/."""

from django.urls import path

from competitions.api import catalogue_views, debug, views

urlpatterns = [
    path("competitions/", catalogue_views.CompetitionListView.as_view(), name="api-competitions"),
    path(
        "competitions/<slug:slug>/",
        catalogue_views.CompetitionDetailView.as_view(),
        name="api-competition",
    ),
    path("me/submissions/", catalogue_views.MySubmissionsView.as_view(), name="api-my-submissions"),
    path(
        "submissions/<int:submission_id>/cancel/",
        catalogue_views.CancelView.as_view(),
        name="api-cancel",
    ),
    path(
        "competitions/<slug:slug>/phases/<slug:key>/submissions/",
        views.SubmitView.as_view(),
        name="api-submit",
    ),
    path(
        "competitions/<slug:slug>/phases/<slug:key>/select-for-final/",
        views.SelectForFinalView.as_view(),
        name="api-select-for-final",
    ),
    path(
        "submissions/<int:submission_id>/",
        views.SubmissionDetailView.as_view(),
        name="api-submission",
    ),
    path(
        "competitions/<slug:slug>/debug-runs/",
        debug.DebugRunsView.as_view(),
        name="api-debug-runs",
    ),
    path(
        "debug-runs/<int:debug_run_id>/",
        debug.DebugRunDetailView.as_view(),
        name="api-debug-run",
    ),
    path(
        "competitions/<slug:slug>/leaderboard/",
        views.LeaderboardView.as_view(),
        name="api-leaderboard",
    ),
]
