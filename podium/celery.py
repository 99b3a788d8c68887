"""Celery application: Redis broker, one queue per hardware class, a periodic reconcile."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podium.settings")

app = Celery("podium")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
