"""The converters' progress bar: tqdm on a terminal, else a plain line every 5%.

Public API:
    Progress(total, description, enabled, unit, noun): `update()`, `write(message)`, `close()`
"""

import sys
import time


class Progress:
    """A progress bar: tqdm when stderr is a terminal, else a plain line every 5%.

    Args:
        total: int. Items to do.
        description: str. Shown before the counts.
        enabled: bool. False: silent.
        unit: str. An item, in the bar's rate ("seq", "video").
        noun: str. Items, in the plain lines ("sequences", "videos").
    """

    def __init__(self, total, description, enabled, unit="seq", noun="sequences"):
        self._bar, self._total, self._done, self._shown = None, total, 0, -1
        self._enabled = enabled and total > 0
        self._description, self._noun, self._start = description, noun, time.time()
        if self._enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=description, unit=unit)

    def update(self):
        """One more item done."""
        self._done += 1
        if not self._enabled:
            return
        if self._bar is not None:
            self._bar.update(1)
            return
        step = 100 * self._done // self._total // 5
        if step != self._shown:
            self._shown = step
            elapsed = time.time() - self._start
            print(
                f"{self._description}: {self._done}/{self._total} {self._noun} "
                f"({100 * self._done // self._total}%, {elapsed:.0f} s)",
                file=sys.stderr,
                flush=True,
            )

    def write(self, message):
        """Prints `message` on stderr without breaking the bar."""
        if self._bar is not None:
            self._bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    def close(self):
        """Closes the bar (a plain line needs nothing)."""
        if self._bar is not None:
            self._bar.close()
