"""`/healthz`: can this web process reach the database, the broker and the artifact store?

JSON for monitoring: 200 when every check passes, 503 when one fails (with which, and why).
Unauthenticated and cheap; it reveals no data, only whether each dependency answers.
"""

import time
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _broker() -> str:
    if settings.PODIUM_DISPATCH != "celery":
        return f"not used (PODIUM_DISPATCH={settings.PODIUM_DISPATCH})"
    import redis  # only where a broker is configured

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "redis"


def _artifacts() -> str:
    # A write and a delete: a full or read-only store fails here, not on the next upload.
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}", ContentFile(b"ok"))
    default_storage.delete(name)
    return type(default_storage).__name__


CHECKS = {"database": _database, "broker": _broker, "artifact_store": _artifacts}


@never_cache
@require_GET
def healthz(request):
    checks, healthy = {}, True
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            detail, ok = check(), True
        except Exception as exc:
            detail, ok = f"{type(exc).__name__}: {str(exc)[:200]}", False
        healthy &= ok
        checks[name] = {
            "ok": ok,
            "detail": detail,
            "ms": round(1000 * (time.monotonic() - started)),
        }
    body = {"status": "ok" if healthy else "failing", "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)
