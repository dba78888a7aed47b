"""The history database under damage, odd paths and crashes: checked before a request is
sent, private by default, readable when read-only, and nothing committed is ever lost."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.samples import openai_reply
from tests.servers import ReplayServer


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def ask(llmcli, server: ReplayServer, db: Path | str, *args: str, text: str = "Hello there."):
    server.replies[:] = [openai_reply(text)]
    return llmcli(
        "complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "--db", str(db), *args
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "logs.db"


# ---- row 5: private files ---------------------------------------------------------------


def test_a_new_database_is_private(llmcli, server, tmp_path):
    db = tmp_path / "fresh" / "logs.db"
    run = ask(llmcli, server, db, "hi")
    assert run.code == 0, run.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert "warning" not in run.stderr


def test_a_database_others_can_read_gets_a_one_line_warning(llmcli, server, db):
    assert ask(llmcli, server, db, "hi").code == 0
    os.chmod(db, 0o644)
    run = ask(llmcli, server, db, "again")
    assert run.code == 0
    assert run.stderr == (
        f"llmcli: warning: other users can read the history database {db} (mode 0644);"
        f" run: chmod 600 {db}\n"
    )


# ---- row 11: a damaged file stops the run before the request -----------------------------


def _settle(db: Path) -> None:
    """As after the last llmcli exits: every page in the file itself, no WAL beside it
    (in-process runs leave their connection to the garbage collector)."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)


def _damage(db: Path, how: str) -> None:
    _settle(db)
    if how == "random":
        db.write_bytes(os.urandom(64 * 1024))
    else:
        os.truncate(db, db.stat().st_size // 2)


def _filled(llmcli, server, db: Path, count: int = 3) -> None:
    for i in range(count):
        assert ask(llmcli, server, db, f"question {i} " + "words " * 2000).code == 0


@pytest.mark.parametrize("how", ["random", "truncated"])
def test_a_damaged_database_stops_the_run_before_the_request(llmcli, server, db, how):
    _filled(llmcli, server, db)
    _damage(db, how)
    sent = len(server.requests)
    run = ask(llmcli, server, db, "a paid question")
    assert run.code == 2, run.stderr
    assert len(server.requests) == sent  # nothing sent, nothing paid
    assert run.stdout == ""
    assert run.stderr.startswith(f"llmcli: the history database {db} is damaged (")
    assert "llmcli logs doctor" in run.stderr and "--no-log" in run.stderr
    assert run.stderr.count("\n") == 1
    for reading in (("logs", "list"), ("logs", "search", "question")):
        listed = llmcli(*reading, "--db", str(db))
        assert listed.code == 2 and "is damaged" in listed.stderr, listed.stderr
    assert ask(llmcli, server, db, "--no-log", "still works").code == 0


def test_continue_on_a_damaged_database_stops_before_the_request(llmcli, server, db):
    _filled(llmcli, server, db, 1)
    _damage(db, "random")
    sent = len(server.requests)
    run = ask(llmcli, server, db, "--no-log", "-c", "more")
    assert run.code == 2 and "is damaged" in run.stderr
    assert len(server.requests) == sent


def _set_aside(db: Path) -> list[Path]:
    found = db.parent.glob(db.name + ".damaged-*")
    return [p for p in found if not p.name.endswith(("-wal", "-shm"))]


def test_doctor_keeps_the_readable_rows_and_sets_the_damaged_file_aside(llmcli, server, db):
    _filled(llmcli, server, db)
    healthy = llmcli("logs", "doctor", "--db", str(db))
    assert healthy.code == 0 and healthy.stdout == f"{db}: ok (3 conversations)\n"
    # Damage the last pages (the full-text index and the newest rows), keep the first.
    _settle(db)
    with db.open("r+b") as f:
        f.seek(db.stat().st_size - 8 * 4096)
        f.write(bytes(range(256)) * 128)  # 8 pages of garbage, the same every run
    # Damage past the pages the open-time check reads: one line after the answer, no traceback.
    late = ask(llmcli, server, db, "one more")
    assert late.code == 1 and late.stdout == "Hello there.\n", late.stderr
    assert late.stderr.startswith(f"llmcli: the answer was not stored: the history database {db}")
    assert late.stderr.count("\n") == 1 and "logs doctor" in late.stderr
    repaired = llmcli("logs", "doctor", "--db", str(db))
    assert repaired.code == 0, repaired.stderr
    (aside,) = _set_aside(db)
    assert aside.name.startswith("logs.db.damaged-20")
    assert f"the damaged file is kept as {aside}" in repaired.stdout
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    kept = rows(db, "SELECT COUNT(*) FROM conversations")[0][0]
    assert kept >= 1, repaired.stdout
    assert f"kept {kept} conversations" in repaired.stdout
    assert ask(llmcli, server, db, "a new question").code == 0  # a usable fresh file
    listed = llmcli("logs", "list", "--db", str(db))
    assert len(listed.stdout.splitlines()) == kept + 1


def test_doctor_on_random_bytes_starts_a_fresh_file(llmcli, server, db):
    _filled(llmcli, server, db, 1)
    _damage(db, "random")
    repaired = llmcli("logs", "doctor", "--db", str(db))
    assert repaired.code == 0, repaired.stderr
    assert "kept 0 conversations" in repaired.stdout
    assert len(_set_aside(db)) == 1
    assert ask(llmcli, server, db, "hi").code == 0


# ---- rows 11 and 12: read-only files and unusable paths ---------------------------------


# In a private mount namespace: $0 bound onto itself, then made read-only.
_READ_ONLY_MOUNT = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0"'


def _can_mount_read_only() -> bool:
    probe = subprocess.run(
        ["unshare", "-Urm", "sh", "-c", _READ_ONLY_MOUNT, tempfile.gettempdir()],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


read_only_fs = pytest.mark.skipif(
    not _can_mount_read_only(), reason="needs user namespaces to mount a read-only directory"
)


def _on_read_only_fs(directory: Path, args: list[str], env: dict[str, str]):
    """`llmcli ARGS` with DIRECTORY on a read-only filesystem (a private read-only bind
    mount: file modes would not do, tests may run as root)."""
    script = _READ_ONLY_MOUNT + ' && exec "$@"'
    return subprocess.run(
        [
            "unshare",
            "-Urm",
            "sh",
            "-c",
            script,
            str(directory),
            sys.executable,
            "-m",
            "llmcli",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@read_only_fs
def test_reading_commands_work_on_a_read_only_filesystem(llmcli, server, tmp_path, cli_env):
    directory = tmp_path / "ro"
    db = directory / "logs.db"
    assert ask(llmcli, server, db, "Tell me about pelicans", text="Pelicans fly.").code == 0
    _settle(db)  # no -wal or -shm file: sqlite cannot create them on a read-only filesystem
    listed = _on_read_only_fs(directory, ["logs", "list", "--db", str(db)], cli_env)
    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.splitlines()
    cid = line.split("\t")[0]
    assert line.endswith("\tTell me about pelicans\tcli")  # the source column last
    shown = _on_read_only_fs(directory, ["logs", "show", cid, "--json", "--db", str(db)], cli_env)
    assert json.loads(shown.stdout)["messages"][1]["parts"][0]["text"] == "Pelicans fly."
    found = _on_read_only_fs(directory, ["logs", "search", "pelicans", "--db", str(db)], cli_env)
    assert found.returncode == 0 and len(found.stdout.splitlines()) == 2, found.stderr


@read_only_fs
def test_writing_on_a_read_only_filesystem_stops_before_the_request(
    llmcli, server, tmp_path, cli_env
):
    directory = tmp_path / "ro"
    db = directory / "logs.db"
    assert ask(llmcli, server, db, "hi").code == 0
    sent = len(server.requests)
    server.queue(openai_reply())
    args = ["complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "--db"]
    run = _on_read_only_fs(directory, [*args, str(db), "hi"], cli_env)
    assert run.returncode == 2, run.stderr
    assert run.stderr == (
        f"llmcli: the history database {db} is read-only:"
        " use --no-log, or --db PATH for another file\n"
    )
    new = directory / "new.db"
    create = _on_read_only_fs(directory, [*args, str(new), "hi"], cli_env)
    assert create.returncode == 2
    assert create.stderr == (
        f"llmcli: cannot create the history database {new}: Read-only file system:"
        " use --no-log, or --db PATH for another file\n"
    )
    assert len(server.requests) == sent


@pytest.mark.parametrize("where", ["directory", "under a file"])
def test_an_unusable_db_path_stops_before_the_request(llmcli, server, tmp_path, where):
    (tmp_path / "plain").write_text("x")
    path = tmp_path if where == "directory" else tmp_path / "plain" / "logs.db"
    run = ask(llmcli, server, path, "hi")
    assert run.code == 2, run.stderr
    assert run.stdout == "" and run.stderr.count("\n") == 1
    assert str(path) in run.stderr and "Traceback" not in run.stderr
    assert server.requests == []


# ---- row 13: SIGKILL while eight processes write ----------------------------------------

WRITER = """
import sys
import tempfile
from pathlib import Path
from llmcli import store
db = store.connect(Path(sys.argv[1]))
name, count = sys.argv[2], int(sys.argv[3])
big = name * 20000  # large enough to go through the stored-once table
record = store.ResponseRecord("p", "m", {}, "stop", None, [], {"body": big}, 1, 1)
for i in range(count):
    cid = store.create_conversation(db, f"{name}-{i}", "p/m")
    user = [{"type": "text", "text": big + str(i)}]
    answer = [{"type": "text", "text": "ok"}]
    store.add_exchange(db, cid, [("user", user), ("assistant", answer)], record)
    print(cid, flush=True)
"""


def test_sigkill_during_concurrent_writes_loses_nothing_committed(cli_env, db):
    def writer(name: str, count: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), name, str(count)],
            env=cli_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    victim = writer("v", 100_000)  # writes until killed
    others = [writer(chr(ord("a") + i), 25) for i in range(7)]
    committed: list[str] = []
    deadline = time.monotonic() + 30
    while len(committed) < 5 and time.monotonic() < deadline:
        committed.append(victim.stdout.readline().strip())  # type: ignore[union-attr]
    victim.send_signal(signal.SIGKILL)  # mid-loop: most likely inside a transaction
    victim.wait(timeout=10)
    committed += [line for line in victim.stdout.read().split() if line]  # type: ignore[union-attr]
    for proc in others:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        committed += out.split()
    assert len(committed) >= 5 + 7 * 25
    stored = {cid for (cid,) in rows(db, "SELECT conversation_id FROM responses")}
    assert set(committed) <= stored
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    # every committed exchange reads back whole: both messages, the prompt's stored text
    conn = sqlite3.connect(db)
    for cid in committed:
        count = conn.execute("SELECT COUNT(*) FROM messages WHERE conversation_id = ?", (cid,))
        assert count.fetchone() == (2,)
    conn.close()
    from llmcli import store

    reopened = store.connect(db)
    title = rows(db, f"SELECT title FROM conversations WHERE id = '{committed[0]}'")[0][0]
    prompt = store.messages(reopened, committed[0])[0][1][0]["text"]
    assert prompt == title.split("-")[0] * 20000 + title.split("-")[1]
    reopened.close()


def test_switching_to_wal_is_tried_again_while_another_process_switches() -> None:
    """Two writers opening a new file at once both switch it to WAL; SQLite answers one
    of them "database is locked" at once (its busy handler would deadlock). That one tries
    again instead of failing: the CI run where eight writers started together failed so."""
    import sqlite3

    from llmcli.store import switch_to_wal

    class Contended:
        def __init__(self, locked: int) -> None:
            self.locked, self.sent = locked, 0

        def execute(self, sql: str) -> None:
            self.sent += 1
            if self.sent <= self.locked:
                raise sqlite3.OperationalError("database is locked")

    db = Contended(locked=2)
    switch_to_wal(db)  # type: ignore[arg-type]
    assert db.sent == 3
    with pytest.raises(sqlite3.OperationalError):  # not forever: the last try's error stands
        switch_to_wal(Contended(locked=5), tries=3)  # type: ignore[arg-type]
