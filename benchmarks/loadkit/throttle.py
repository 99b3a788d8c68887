"""The proof the benchmark's lifted throttle hides: at the shipped rates, one client past its
rate is answered 429 while another client is still served.

gunicorn with one worker: throttle counts live in each process's cache (docs/security.md), so
one process is where "past its rate" is exact. Client A talks from 127.0.0.1, client B from
127.0.0.2 (both loopback addresses), over keep-alive connections.
"""

from __future__ import annotations

import http.client
import time
from urllib.parse import urlsplit


def _rate(text: str) -> tuple[int, float]:
    count, period = text.split("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def prove(url: str, path: str, anon_rate: str) -> dict:
    """Send `rate` requests from client A, then one more, then one from client B."""
    allowed, period = _rate(anon_rate)
    host, port = urlsplit(url).hostname, urlsplit(url).port
    a = http.client.HTTPConnection(host, port, timeout=30, source_address=("127.0.0.1", 0))
    b = http.client.HTTPConnection(host, port, timeout=30, source_address=("127.0.0.2", 0))

    def get(conn) -> tuple[int, str | None]:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Retry-After")

    started = time.monotonic()
    statuses = [get(a)[0] for _ in range(allowed)]
    past, retry_after = get(a)
    other, _ = get(b)
    elapsed = time.monotonic() - started
    a.close()
    b.close()
    return {
        "rate": anon_rate,
        "within_rate_all_200": all(code == 200 for code in statuses),
        "within_rate_not_200": sum(code != 200 for code in statuses),
        "past_rate_status": past,
        "retry_after_s": retry_after,
        "other_client_status": other,
        "seconds": round(elapsed, 1),
        "inside_one_period": elapsed < period,
    }
