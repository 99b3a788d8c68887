"""Uploads are refused from their headers, before the body is read, on a real HTTP server.

A request announces a 50 GB body and sends 100 bytes: a server that read the body first would
wait for the rest (and hit the client's timeout); ours answers 413 at once, on the API and the
web form. A chunked body (no Content-Length) is not read at all.
"""

import socket
import time
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

HUGE = 50 * 1024**3


def raw_post(url: str, path: str, headers: dict, body: bytes, timeout: float = 10.0):
    """Send a request by hand (no client library would send a lying Content-Length)."""
    parts = urlsplit(url)
    lines = [f"POST {path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[-1], time.monotonic() - started


@pytest.fixture
def server(live_server, competition, member, token_for, artifact_store):
    return live_server.url, token_for(member)


BOUNDARY = "hardeningboundary"
PART = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="i.tar"\r\n'
    "Content-Type: application/x-tar\r\n\r\n"
).encode() + b"\0" * 40


@pytest.mark.parametrize(
    "path", ["/api/v1/competitions/demo/phases/eval/submissions/", "/team/submit/demo/eval/"]
)
def test_a_huge_announced_upload_gets_413_without_its_body_being_read(server, path):
    url, token = server
    headers = {
        "Authorization": f"Token {token}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(HUGE),
    }
    status, body, seconds = raw_post(url, path, headers, PART)
    assert status == 413, body[:300]
    assert b"limit" in body and seconds < 3, (seconds, body[:300])


def test_a_chunked_upload_is_not_read(server):
    url, token = server
    chunk = PART + f"\r\n--{BOUNDARY}--\r\n".encode()
    body = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n"
    headers = {
        "Authorization": f"Token {token}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Transfer-Encoding": "chunked",
    }
    status, answer, seconds = raw_post(
        url, "/api/v1/competitions/demo/phases/eval/submissions/", headers, body
    )
    assert status in (400, 411, 413), answer[:300]
    assert seconds < 3
    from competitions.models import Submission

    assert not Submission.objects.exists()
