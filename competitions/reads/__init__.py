"""Reads by audience: boards (everyone), runs (a team and the organisers), organiser pages."""
