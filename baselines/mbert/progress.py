"""Training progress a person can read: steps done, throughput and the time left.

On a terminal it is a tqdm bar. Anywhere else (a build log, `docker build`, CI) a bar is one
endless line, so a plain line is printed every `every_s` seconds instead:

    train: step 120/900 (13%) · 41.2 examples/s · about 3 min 10 s left · loss 0.512
"""

from __future__ import annotations

import sys
import time

from tqdm import tqdm


def remaining_words(seconds: float) -> str:
    """The largest unit and the next one down, rounded down ("1 h 4 min", "3 min 10 s")."""
    seconds = int(seconds)
    hours, minutes, secs = seconds // 3600, seconds % 3600 // 60, seconds % 60
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


class Progress:
    """Counts optimizer steps and examples; says where training stands on `stream`."""

    def __init__(self, total_steps, *, start_step=0, every_s=30.0, quiet=False, stream=None):
        self.stream = stream or sys.stderr
        self.total, self.step, self.start_step = total_steps, start_step, start_step
        self.examples, self.loss = 0, None
        self.every_s, self.quiet = every_s, quiet
        self.started = self.last_said = time.monotonic()
        interactive = not quiet and getattr(self.stream, "isatty", lambda: False)()
        self.bar = (
            tqdm(total=total_steps, initial=start_step, desc="train", file=self.stream)
            if interactive
            else None
        )

    def advance(self, steps: int, examples: int) -> None:
        self.step += steps
        self.examples += examples
        if self.bar is not None:
            self.bar.update(steps)
        elif not self.quiet and time.monotonic() - self.last_said >= self.every_s:
            self.say(self.line())

    def set_loss(self, loss: float) -> None:
        self.loss = loss
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.3f}")

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        done = self.step - self.start_step
        parts = [f"train: step {self.step}/{self.total} ({100 * self.step // max(1, self.total)}%)"]
        parts.append(f"{self.examples / elapsed:.1f} examples/s")
        if done:
            parts.append(f"about {remaining_words(elapsed / done * (self.total - self.step))} left")
        if self.loss is not None:
            parts.append(f"loss {self.loss:.3f}")
        return " · ".join(parts)

    def say(self, text: str) -> None:
        """A line between bar updates (dev scores), or on its own without a bar."""
        self.last_said = time.monotonic()
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(text)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
