"""Template tags and filters of the competitions app."""
