"""Behind the documented two proxies (a TLS terminator in front of the repository's nginx, here
both real nginx on loopback, clients on their own loopback addresses) the site sees each client's
own address with the production hop count: nobody can lock another user out of login by failing
for them, or by writing that user's address into X-Forwarded-For; the lockout lands on the
attacker's own address."""

from __future__ import annotations

import http.client
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.factories import free_port
from tests.proxy import (
    Processes,
    nginx_executable,
    site_env,
    start_gunicorn,
    start_proxy,
    wait_for_port,
)

pytestmark = [pytest.mark.slow]
PASSWORD = "victim-password-1"
SETUP = f"""
from django.contrib.auth.models import User
User.objects.create_user("victim", password="{PASSWORD}")
"""
# docs/deploy.md's TLS terminator, on plain HTTP: it appends the client's address.
FRONT = """
pid {run}/front.pid;
error_log {run}/front.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {run}/front-body;
    proxy_temp_path {run}/front-proxy;
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 0;
        proxy_request_buffering off;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto http;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    var = tmp_path_factory.mktemp("client-address")
    # The production hop count (one proxy of ours hands the site its client's address).
    env, _ = site_env(var, SETUP, PODIUM_TRUSTED_PROXY_HOPS="1")
    processes = Processes()
    try:
        web = start_gunicorn(processes, env, var / "gunicorn.log", workers=2)
        folder = processes.folder()
        # The terminator connects from 127.0.0.1: that is the proxy the site's nginx believes.
        proxy = start_proxy(processes, web, folder, PODIUM_PROXY_REAL_IP_FROM="127.0.0.1")
        front = free_port()
        config = folder / "front.conf"
        config.write_text(FRONT.format(run=folder, port=front, upstream=proxy))
        log = folder / "front.stderr"
        started = processes.add(subprocess.Popen(
            [nginx_executable(), "-e", str(log), "-c", str(config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=log.open("w"),
        ))  # fmt: skip
        wait_for_port(front, started, log)
        yield {"front": front, "proxy": proxy, "db": var / "podium.sqlite3"}
    finally:
        processes.stop()


def log_in(port: int, source: str, password: str, forwarded_for: str = "") -> int:
    """The login form from `source`, as a browser posts it; the answer's status."""
    extra = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}

    def request(method, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                                source_address=(source, 0))  # fmt: skip
        connection.request(method, "/accounts/login/", body=body,
                           headers={"Host": f"127.0.0.1:{port}", **extra, **(headers or {})})  # fmt: skip
        answer = connection.getresponse()
        return answer, answer.read().decode(errors="replace")

    page, html = request("GET")
    cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie", "")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    answer, _ = request(
        "POST",
        f"csrfmiddlewaretoken={token}&username=victim&password={password}",
        {"Cookie": f"csrftoken={cookie}", "Origin": f"http://127.0.0.1:{port}",
         "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    return answer.status


def failures_by_address(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT ip_address, failures_since_start FROM axes_accessattempt")
        return dict(rows.fetchall())


def test_failing_for_another_user_locks_only_the_attackers_address(chain):
    # The attacker fails five times for the victim, claiming to be the victim's address.
    statuses = [log_in(chain["front"], "127.0.0.2", "wrong", forwarded_for="127.0.0.3")
                for _ in range(5)]  # fmt: skip
    assert statuses == [200, 200, 200, 200, 429], statuses  # the fifth failure locks
    assert log_in(chain["front"], "127.0.0.2", PASSWORD, forwarded_for="127.0.0.3") == 429
    assert set(failures_by_address(chain["db"])) == {"127.0.0.2"}
    # The victim, from their own address through the same two proxies, logs in.
    assert log_in(chain["front"], "127.0.0.3", PASSWORD) == 302


def test_a_client_reaching_the_sites_proxy_directly_cannot_choose_its_address(chain):
    before = failures_by_address(chain["db"])
    assert log_in(chain["proxy"], "127.0.0.4", "wrong", forwarded_for="127.0.0.5") == 200
    after = failures_by_address(chain["db"])
    assert after.get("127.0.0.4") == 1 and "127.0.0.5" not in after, (before, after)
