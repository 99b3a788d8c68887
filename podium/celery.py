"""Celery application: Redis broker, one queue per hardware class, a periodic reconcile."""

import os

from celery import Celery
from celery.signals import celeryd_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podium.settings")

app = Celery("podium")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_init.connect
def name_worker_after_its_node(sender=None, **kwargs):
    """The worker's name labels its runs and Docker objects; the node name (-n gpu0@host) is
    unique per slot and survives a restart, so a restarted worker finds what it left behind."""
    if sender:
        os.environ.setdefault("PODIUM_WORKER_NAME", str(sender))


@worker_ready.connect
def prepare_worker(**kwargs):
    """Only worker processes get this signal: the web process never loads the worker package."""
    from competitions.worker.startup import prepare_worker as prepare

    prepare()
