"""Through the real nginx (docker/nginx.conf.template, started by the proxy image's entrypoint) in
front of gunicorn: an anonymous large POST to any path is refused before its body is stored (no
spool file of nginx or Django grows), the submit URLs take large bodies only from a signed-in
team member or a token holder (nginx asks the site first, `auth_request`), and a client cannot
hold more than its share of requests at once."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time

import pytest
import requests

from tests.archives import write_archive
from tests.proxy import Processes, site_env, spooled_bytes, start_gunicorn, start_proxy

# Counts a client's requests in progress at nginx: it runs alone, after the parallel part.
pytestmark = [pytest.mark.slow, pytest.mark.exclusive]
SLUG, PHASE = "gate", "eval"
SUBMIT_WEB = f"/team/submit/{SLUG}/{PHASE}/"
SUBMIT_API = f"/api/v1/competitions/{SLUG}/phases/{PHASE}/submissions/"
DEBUG_WEB = f"/team/debug/{SLUG}/"  # a debug run's image: the same gate as a submission's
DEBUG_API = f"/api/v1/competitions/{SLUG}/debug-runs/"
PASSWORD = "gate-password-1"
MB = 1024 * 1024
DECLARED = 200 * MB  # what the anonymous client announces
PUSHED = 48 * MB  # what it actually pushes before giving up: far above any small limit

SETUP = f"""
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from competitions.models import Membership, Team
from competitions.services.competitions import load_competition
from competitions.spec import parse_competition

load_competition(parse_competition(
    "slug: {SLUG}\\ntitle: Gate\\ntasks: {{xnli: null}}\\n"
    "data: {{source: synthetic, size: tiny}}\\n"
    "phases:\\n  - {{key: {PHASE}, title: Evaluation, split: validation, results: live}}\\n"
))
import io
from django.core.management import call_command
call_command("prepare_splits", "{SLUG}", stdout=io.StringIO())  # so that teams may submit
member = User.objects.create_user("member", password="{PASSWORD}")
loner = User.objects.create_user("loner", password="{PASSWORD}")
Membership.objects.create(team=Team.objects.create(name="Gatekeepers", slug="gk"), user=member)
print(Token.objects.create(user=member).key + "," + Token.objects.create(user=loner).key)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    var = tmp_path_factory.mktemp("proxy-bodies")
    processes = Processes()
    uploads = processes.folder()  # Django's own spool of uploaded files, watched too
    # Many uploads by the same member in this module: the hourly upload rate (a test of its own
    # elsewhere) must not turn the held uploads below into early 429s at the gate.
    env, tokens = site_env(
        var, SETUP, PODIUM_UPLOAD_TMP=str(uploads), PODIUM_API_UPLOAD_RATE="1000/hour"
    )
    try:
        port = start_gunicorn(processes, env, var / "gunicorn.log")
        member, loner = tokens.split(",")
        yield {"gunicorn": port, "member": member, "loner": loner, "uploads": uploads,
               "pid": processes.started[-1].pid}  # fmt: skip
    finally:
        processes.stop()


@pytest.fixture
def proxy(site):
    """`proxy(**settings)` -> (port, spooled) of nginx in front of the site's gunicorn, where
    `spooled()` is the bytes of request bodies nginx and Django hold on disk now."""
    processes = Processes()

    def start(**settings):
        folder = processes.folder()
        port = start_proxy(processes, site["gunicorn"], folder, **settings)
        pids = [processes.started[-1].pid, site["pid"]]
        return port, lambda: spooled_bytes(pids, [folder / "body", site["uploads"]])

    yield start
    processes.stop()


def push_body(port: int, path: str, spooled, headers: str = "", chunked: bool = False,
              multipart: bool = False) -> dict:  # fmt: skip
    """POST `path` announcing DECLARED bytes (or chunked), pushing up to PUSHED of them while
    watching the spools; returns the status line and the most the spools ever held."""
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {DECLARED}"
    kind = "multipart/form-data; boundary=podiumgate" if multipart else "application/octet-stream"
    client.sendall(
        (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}"
         f"Content-Type: {kind}\r\n{framing}\r\n\r\n").encode()
    )  # fmt: skip
    if multipart:  # a file field, so that a parser of the body would spool it to a file
        client.sendall(b'--podiumgate\r\nContent-Disposition: form-data; name="image"; '
                       b'filename="image.tar"\r\nContent-Type: application/x-tar\r\n\r\n')  # fmt: skip
    chunk, answer, most, sent = b"\0" * MB, b"", 0, 0
    try:
        while sent < PUSHED:
            if select.select([client], [], [], 0)[0]:
                answer += client.recv(65536)
            client.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
            sent += len(chunk)
            most = max(most, spooled())
    except OSError:  # nginx closed the connection after answering: nothing more is read
        pass
    deadline = time.monotonic() + 10
    while b"\r\n" not in answer and time.monotonic() < deadline:
        if select.select([client], [], [], 0.2)[0]:
            data = client.recv(65536)
            if not data:
                break
            answer += data
        most = max(most, spooled())
    client.close()
    return {"status": answer.split(b"\r\n", 1)[0].decode(errors="replace"), "spooled": most,
            "sent_mb": sent // MB, "body": answer.split(b"\r\n\r\n", 1)[-1][:400]}  # fmt: skip


@pytest.mark.parametrize(
    "path",
    ["/healthz", "/accounts/login/", "/api/v1/competitions/", f"/c/{SLUG}/leaderboard/{PHASE}/",
     f"/team/submit/{SLUG}/{PHASE}", "/no/such/page/"],
)  # fmt: skip
def test_an_anonymous_large_post_is_refused_before_its_body_is_stored(proxy, path):
    port, spooled = proxy()
    result = push_body(port, path, spooled)
    assert " 413 " in result["status"], result
    assert result["spooled"] == 0, result
    assert b"submit URLs" in result["body"], result  # says what to do instead


def test_a_chunked_anonymous_post_without_a_length_is_refused_too(proxy):
    port, spooled = proxy()
    result = push_body(port, "/healthz", spooled, chunked=True)
    assert " 413 " in result["status"] and result["spooled"] == 0, result


@pytest.mark.parametrize("path", [SUBMIT_WEB, SUBMIT_API, DEBUG_WEB, DEBUG_API])
@pytest.mark.parametrize("who", ["anonymous", "bad token"])
def test_an_anonymous_post_to_a_submit_url_is_refused_before_its_body_is_stored(proxy, path, who):
    port, spooled = proxy()
    headers = "Authorization: Token not-a-token-of-anyone\r\n" if who == "bad token" else ""
    result = push_body(port, path, spooled, headers)
    assert " 401 " in result["status"], result
    assert result["spooled"] == 0, result
    assert b"signed-in team members" in result["body"], result


def test_a_token_holder_outside_any_team_is_refused_before_the_body(proxy, site):
    port, spooled = proxy()
    result = push_body(port, SUBMIT_API, spooled, f"Authorization: Token {site['loner']}\r\n")
    assert " 403 " in result["status"] and result["spooled"] == 0, result
    assert b"not in a team" in result["body"], result


def test_a_team_members_large_upload_still_works_by_token_and_by_session(proxy, site, tmp_path):
    port, _ = proxy()
    url = f"http://127.0.0.1:{port}"
    archive = write_archive(tmp_path / "image.tar", padding_bytes=12 * MB)
    with archive.open("rb") as image:
        answer = requests.post(
            url + SUBMIT_API, headers={"Authorization": f"Token {site['member']}"},
            files={"image": ("image.tar", image, "application/x-tar")}, timeout=120,
        )  # fmt: skip
    assert answer.status_code == 201, answer.text[:500]

    session = requests.Session()
    session.get(f"{url}/accounts/login/", timeout=30)
    logged = session.post(
        f"{url}/accounts/login/",
        data={"username": "member", "password": PASSWORD,
              "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Origin": url}, timeout=30,
    )  # fmt: skip
    assert logged.status_code == 200 and "member" in logged.text, logged.text[:500]
    with archive.open("rb") as image:
        sent = session.post(
            url + SUBMIT_WEB, data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
            files={"image": ("image.tar", image, "application/x-tar")},
            headers={"Origin": url, "X-Requested-With": "XMLHttpRequest"}, timeout=120,
        )  # fmt: skip
    assert sent.status_code == 201, sent.text[:500]
    assert "attempt 2 of" in sent.json()["message"], sent.json()


def test_a_team_members_debug_run_upload_passes_the_gate(proxy, site, tmp_path):
    port, _ = proxy()
    archive = write_archive(tmp_path / "image.tar", padding_bytes=12 * MB)
    with archive.open("rb") as image:
        answer = requests.post(
            f"http://127.0.0.1:{port}{DEBUG_API}",
            headers={"Authorization": f"Token {site['member']}"},
            files={"image": ("image.tar", image, "application/x-tar")}, timeout=120,
        )  # fmt: skip
    assert answer.status_code == 201, answer.text[:500]
    assert answer.json()["status"] == "queued"


def test_behind_no_proxy_the_submit_view_refuses_an_anonymous_upload_before_parsing_it(site):
    """Defence in depth (gunicorn is reached only through the proxy): Django itself asks who is
    sending before its CSRF check would parse the multipart body into a temporary file."""
    spooled = lambda: spooled_bytes([site["pid"]], [site["uploads"]])  # noqa: E731
    cookie = "Cookie: csrftoken=" + "a" * 32 + "\r\n"
    result = push_body(site["gunicorn"], SUBMIT_WEB, spooled, cookie, multipart=True)
    assert " 302 " in result["status"], result  # to the login page
    assert result["spooled"] == 0, result


class HeldUploads:
    """Token uploads that announce 1 MB and send a few bytes a second: requests in progress."""

    def __init__(self, port: int, token: str, count: int):
        self.stop = threading.Event()
        self.port = port
        self.head = (f"POST {SUBMIT_API} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"Authorization: Token {token}\r\nContent-Type: application/octet-stream\r\n"
                     f"Content-Length: {MB}\r\n\r\n").encode()  # fmt: skip
        self.sockets = [self._open() for _ in range(count)]
        threading.Thread(target=self._drip, daemon=True).start()

    def _open(self):
        client = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        client.sendall(self.head)
        return client

    def reopen_answered(self) -> int:
        """Replace every held upload nginx has already answered; how many there were.

        nginx may read a held upload's headers while a probe of the test is in progress, and then
        (rightly) refuses that upload instead: it is no longer in progress, so it is sent again."""
        answered = [i for i, c in enumerate(self.sockets) if select.select([c], [], [], 0)[0]]
        for i in answered:
            self.sockets[i].close()
            self.sockets[i] = self._open()
        return len(answered)

    def _drip(self):
        while not self.stop.wait(0.5):
            for client in self.sockets:
                with contextlib.suppress(OSError):
                    client.sendall(b"\0" * 64)

    def close(self):
        self.stop.set()
        for client in self.sockets:
            client.close()


def get_from(source: str, port: int, path: str) -> int:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                            source_address=(source, 0))  # fmt: skip
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_requests_in_progress_per_client_are_limited(proxy, site):
    port, _ = proxy(PODIUM_PROXY_CONNECTIONS_PER_CLIENT="4")
    board = f"/c/{SLUG}/leaderboard/{PHASE}/"
    held = HeldUploads(port, site["member"], 4)
    try:
        deadline = time.monotonic() + 30  # until nginx has read the four requests' headers
        while held.reopen_answered() or get_from("127.0.0.1", port, board) != 429:
            assert time.monotonic() < deadline, "a fifth request from the same client was served"
            time.sleep(0.1)
        assert held.reopen_answered() == 0  # the four were in progress while the fifth was refused
        assert get_from("127.0.0.2", port, board) == 200  # another client is not affected
    finally:
        held.close()
    deadline = time.monotonic() + 10
    while get_from("127.0.0.1", port, board) != 200:
        assert time.monotonic() < deadline, "the client stayed refused after its uploads ended"
        time.sleep(0.1)


def test_the_spool_watch_sees_a_body_nginx_stores(proxy, site):
    """The measurement above can fail: an allowed upload's body is seen in nginx's spool."""
    port, spooled = proxy()
    result = push_body(port, SUBMIT_API, spooled, f"Authorization: Token {site['member']}\r\n")
    assert result["spooled"] >= 16 * MB, result
