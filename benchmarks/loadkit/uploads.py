"""Teams uploading real-size image archives through the proxy, again and again, while the board
is measured; and a count of how many of those uploads the site is checking at each moment.

An upload is being checked from the moment Django has written its whole body to a temporary
file (PODIUM_UPLOAD_TMP, which the benchmark points at a folder of its own) until the response:
that is when the archive check and the copy into the artifact store run in a web worker.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from loadkit.world import PHASE, SLUG


@dataclass
class Upload:
    team: int
    started: float
    ended: float
    status: int
    seconds: float


@dataclass
class Uploaders:
    url: str
    tokens: list[str]
    archives: list[Path]
    upload_tmp: Path
    headers: dict[str, str] = field(default_factory=dict)
    done: list[Upload] = field(default_factory=list)
    samples: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._sampling = threading.Event()
        self._threads = [
            threading.Thread(target=self._upload_loop, args=(n,), daemon=True)
            for n in range(len(self.tokens))
        ] + [threading.Thread(target=self._sample_loop, daemon=True)]
        self._sizes = [path.stat().st_size for path in self.archives]

    def start(self, timeout: float = 600) -> None:
        """Start every uploader; return once the site is checking all of them at once."""
        for thread in self._threads:
            thread.start()
        deadline = time.monotonic() + timeout
        while self.being_checked() < len(self.tokens):
            failed = [u for u in self.done if u.status != 201]
            if failed:
                raise RuntimeError(f"an upload was answered {failed[0].status}, not 201")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the site was not checking {len(self.tokens)} uploads at once")
            time.sleep(0.05)

    def being_checked(self) -> int:
        """Uploads whose whole body the site has received and not answered yet."""
        smallest = min(self._sizes)
        count = 0
        for path in self.upload_tmp.glob("*.upload*"):
            with contextlib.suppress(FileNotFoundError):  # answered meanwhile
                count += path.stat().st_size >= smallest
        return count

    def measure(self, on: bool) -> None:
        """Sample `being_checked` every 0.1 s while on (the window being measured)."""
        if on:
            self.samples.clear()
            self._sampling.set()
        else:
            self._sampling.clear()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=900)

    def _sample_loop(self) -> None:
        while not self._stop.is_set():
            if self._sampling.is_set():
                self.samples.append(self.being_checked())
            time.sleep(0.1)

    def _upload_loop(self, number: int) -> None:
        archive = self.archives[number % len(self.archives)]
        endpoint = f"{self.url}/api/v1/competitions/{SLUG}/phases/{PHASE}/submissions/"
        headers = {**self.headers, "Authorization": f"Token {self.tokens[number]}"}
        command = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
                   "-F", f"image=@{archive};type=application/gzip",
                   "-F", "description=load benchmark"]  # fmt: skip
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        while not self._stop.is_set():
            started = time.monotonic()
            done = subprocess.run(
                [*command, endpoint], capture_output=True, text=True, timeout=900, check=False
            )
            code, _, seconds = done.stdout.partition(" ")
            self.done.append(
                Upload(number, started, time.monotonic(), int(code or 0), float(seconds or 0))
            )
            if code != "201":
                return  # the check reports it; one refusal is enough to know
