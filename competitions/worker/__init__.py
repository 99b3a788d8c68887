"""The worker's side: what a Celery worker (or `manage.py evaluate`) does with a queued run.

`pipeline.evaluate_run` fetches the hidden split and the submission, runs it through an
`Executor` (Docker or a trusted process), scores the predictions and records the result through
the run bookkeeping in `competitions.services.runs`. The web process never imports this package.
"""
