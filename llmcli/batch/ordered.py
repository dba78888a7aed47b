"""`batch fetch --ordered`: a batch's results in the order of the input submitted.

A provider returns results in any order ("do not rely on it", OpenAI's Batch guide), so
they are first written to a temporary file next to the output; the place of each is
kept by its input line number (8 bytes a line: an `array`), and once all have come they
are copied to the output in input order. Results no input line carries go last.
"""

from __future__ import annotations

import tempfile
from array import array
from itertools import chain
from pathlib import Path
from typing import IO


class Spool:
    def __init__(self, lines: int, directory: Path) -> None:
        self.file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (closed by drain)
        self.places = array("q", [-1]) * (lines + 1)  # input line number → spool offset
        self.others = array("q")

    def add(self, number: int | None, text: str) -> None:
        at = self.file.tell()
        self.file.write(text.encode("utf-8", "surrogatepass"))
        if number is not None and 0 < number < len(self.places) and self.places[number] < 0:
            self.places[number] = at
        else:
            self.others.append(at)

    def drain(self, out: IO[str]) -> None:
        """Copy every line to `out` in input order, one flushed write each (a kill leaves
        whole lines: the fetch resumes after them)."""
        try:
            for at in chain((p for p in self.places if p >= 0), self.others):
                self.file.seek(at)
                out.write(self.file.readline().decode("utf-8", "surrogatepass"))
                out.flush()
        finally:
            self.file.close()
