"""Podium's command-line client for teams: submit, follow a submission, read a leaderboard."""
