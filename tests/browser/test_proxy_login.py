"""Logging in through the repository's nginx on a port that is not 80, in Chromium: the proxy
passes the host with its port, so Django's CSRF origin check accepts the form; behind a
terminator in front that drops the port from Host (as `proxy_set_header Host $host` does), the
site's trusted origin derived from PODIUM_SITE_URL accepts it. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import subprocess

import pytest
from playwright.sync_api import expect

from tests.factories import free_port
from tests.proxy import (
    Processes,
    nginx_executable,
    site_env,
    start_gunicorn,
    start_proxy,
    wait_for_port,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "browser-password-1"
SETUP = f"""
from django.contrib.auth.models import User
User.objects.create_user("ada", password="{PASSWORD}")
"""
# A terminator in front that drops the port from Host, as the old deploy example did.
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
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    var = tmp_path_factory.mktemp("proxy-login")
    front = free_port()
    env, _ = site_env(var, SETUP, PODIUM_SITE_URL=f"http://127.0.0.1:{front}")
    processes = Processes()
    try:
        web = start_gunicorn(processes, env, var / "gunicorn.log", workers=2)
        folder = processes.folder()
        proxy = start_proxy(processes, web, folder, PODIUM_PROXY_REAL_IP_FROM="127.0.0.1")
        config = folder / "front.conf"
        config.write_text(FRONT.format(run=folder, port=front, upstream=proxy))
        log = folder / "front.stderr"
        started = processes.add(subprocess.Popen(
            [nginx_executable(), "-e", str(log), "-c", str(config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=log.open("w"),
        ))  # fmt: skip
        wait_for_port(front, started, log)
        yield {"proxy": f"http://127.0.0.1:{proxy}", "front": f"http://127.0.0.1:{front}"}
    finally:
        processes.stop()


def log_in(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    with page.expect_response(lambda r: r.url.endswith("/accounts/login/") and
                              r.request.method == "POST") as posted:  # fmt: skip
        page.click("button[type=submit]")
    return page, posted.value.status


@pytest.mark.parametrize("through", ["proxy", "front"])
def test_login_through_the_proxy_on_a_non_default_port(browser, proxied, through, screenshots):
    page, status = log_in(browser, proxied[through])
    assert status == 302, f"the login form was answered {status} (403: CSRF origin refused)"
    expect(page.locator(".topbar .who")).to_contain_text("ada")
    if through == "proxy":
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(screenshots / f"login-behind-proxy-{width}.png"))
    page.context.close()
