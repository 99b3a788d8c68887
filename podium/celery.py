"""Celery application: Redis broker, one queue per hardware class, a periodic reconcile.

Workers load the tasks from the worker's doors (`include`); the web only sends tasks by name, so
it never imports them.
"""

import os

from celery import Celery
from celery.signals import celeryd_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podium.settings")

app = Celery("podium", include=["competitions.worker.entry"])
app.config_from_object("django.conf:settings", namespace="CELERY")


@celeryd_init.connect
def name_worker_after_its_node(sender=None, **kwargs):
    """The worker's name labels its runs and Docker objects; the node name (-n gpu0@host) is
    unique per slot and survives a restart, so a restarted worker finds what it left behind.
    (Sent before the worker imports its tasks, so it lives here, not in the doors.)"""
    if sender:
        os.environ.setdefault("PODIUM_WORKER_NAME", str(sender))
