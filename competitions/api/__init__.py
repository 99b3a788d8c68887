"""The REST API (v1): submissions, runs and leaderboards, with token or session authentication."""
