"""URLs of the REST API, mounted under /api/v1/."""

from django.urls import path

from competitions.api import views

urlpatterns = [
    path(
        "competitions/<slug:slug>/phases/<slug:key>/submissions/",
        views.SubmitView.as_view(),
        name="api-submit",
    ),
    path(
        "submissions/<int:submission_id>/",
        views.SubmissionDetailView.as_view(),
        name="api-submission",
    ),
    path(
        "competitions/<slug:slug>/leaderboard/",
        views.LeaderboardView.as_view(),
        name="api-leaderboard",
    ),
]
