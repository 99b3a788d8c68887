"""Site pages by audience: `public` (anyone), `team` (a team's own work), `organiser` (staff).

Views are thin: they parse input, ask competitions.permissions, read through competitions.reads
and act through competitions.services.
"""
