"""Builders the tests share, by what they build: world, processes, HTTP, services."""
