"""The flags of `llmcli serve`, declared once (see `spec` for how commands take their
signatures from these tables)."""

from __future__ import annotations

from pathlib import Path

from llmcli.cli.flag import Flag, declare

SERVER = "Server"

# fmt: off
SERVE: tuple[Flag, ...] = (
    declare("host", str, "127.0.0.1", "--host", panel=SERVER,
            help="Address to listen on. Anything but loopback needs --master-key (or "
            "--no-auth)."),
    declare("port", int, 4000, "--port", panel=SERVER, min=1, max=65535,
            help="Port to listen on."),
    declare("config", Path | None, None, "--config", panel=SERVER, dir_okay=False,
            help="LiteLLM proxy config.yaml (model_list, router_settings, ...) or the same "
            "in TOML. Without it, any PROVIDER/MODEL is served."),
    declare("workers", int, 1, "--workers", panel=SERVER, min=1,
            help="Worker processes."),
    declare("master_key", str | None, None, "--master-key", panel=SERVER,
            envvar="LLMCLI_MASTER_KEY", metavar="KEY",
            help="Key every client must send (Authorization: Bearer KEY or x-api-key)."),
    declare("no_auth", bool, False, "--no-auth", panel=SERVER,
            help="Serve without a key on a non-loopback address (say so explicitly)."),
    declare("allow_origin", list[str] | None, None, "--allow-origin", panel=SERVER,
            metavar="URL",
            help="Let web pages of this origin (https://app.example.com, or *) call the "
            "gateway from a browser; others are refused (repeatable)."),
    declare("no_log", bool, False, "--no-log", panel=SERVER,
            help="Do not record the requests in the history database."),
    declare("quiet", bool, False, "--quiet", "-q", panel=SERVER,
            help="No access-log line per request on stderr."),
)
# fmt: on
