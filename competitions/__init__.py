"""The competitions app: the domain (models), business actions (services), reads (selectors)."""
