"""Baselines supplied to competing teams."""
