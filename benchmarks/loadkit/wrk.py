"""wrk against one URL, paced or flat out, and its summary as a dict (Debian's wrk has no -R).

The paced run spaces each connection's requests with wrk's Lua `delay()` so that all
connections together send about the target rate; the summary comes back through `done()`.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile

RESULT_MARK = "PODIUM_WRK_RESULT "
ERROR_KINDS = ("connect", "read", "write", "status", "timeout")

# wrk's Lua hooks: optional request headers, a per-connection pause, a JSON summary.
WRK_LUA = """
local pause_ms = tonumber(os.getenv("PODIUM_WRK_DELAY_MS") or "0")
local headers = os.getenv("PODIUM_WRK_HEADERS") or ""
for name, value in string.gmatch(headers, "([^:\\n]+): ([^\\n]*)") do
  wrk.headers[name] = value
end
function delay() if pause_ms > 0 then return pause_ms end return 0 end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'MARK{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
""".replace("MARK", RESULT_MARK)


def pause_ms(rate: int, connections: int, warm_s: float) -> int:
    """Each connection's wait so that all together send about `rate` requests per second."""
    return max(0, round(connections * 1000 / rate - warm_s * 1000))


def run_wrk(
    url: str,
    *,
    seconds: int,
    threads: int,
    connections: int,
    delay_ms: int = 0,
    headers: dict[str, str] | None = None,
) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_LUA)
    header_text = "\n".join(f"{k}: {v}" for k, v in (headers or {}).items())
    env = {**os.environ, "PODIUM_WRK_DELAY_MS": str(delay_ms), "PODIUM_WRK_HEADERS": header_text}
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "5s", "--latency", "-s", script.name, url]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, check=False, timeout=seconds + 60
        )
    finally:
        os.unlink(script.name)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    result = json.loads(lines[-1][len(RESULT_MARK) :])
    result["errors"] = sum(result[k] for k in ERROR_KINDS)
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["command"] = " ".join(command) + (
        f"  (PODIUM_WRK_DELAY_MS={delay_ms})" if delay_ms else ""
    )
    return result
