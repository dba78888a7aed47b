"""The man page (roff), with the README's first paragraph as its description."""

from __future__ import annotations

import re

from docs_tree import GENERATED, PROG, ROOT, Cmd, Opt

# ---- man page -------------------------------------------------------------------------------


def roff(text: str) -> str:
    """Plain text → troff text: backslashes, hyphens, non-ASCII and line-leading dots."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\e")
        elif char == "-":
            out.append("\\-")
        elif ord(char) > 126:
            out.append(f"\\[u{ord(char):04X}]")
        else:
            out.append(char)
    line = "".join(out)
    return "\\&" + line if line[:1] in (".", "'") else line


def _b(text: str) -> str:
    return f"\\fB{roff(text)}\\fR"


def _i(text: str) -> str:
    return f"\\fI{roff(text)}\\fR"


# Environment variables beyond those the command tree and the providers name.
ENVIRONMENT: list[tuple[str, str]] = [
    (
        "LLMCLI_MODEL",
        "The default model for -m/--model (PROVIDER/MODEL or an alias); -m wins, "
        "and it wins over the config file's model.",
    ),
    (
        "LLMCLI_HOME",
        "The directory holding config.toml, keys.toml and logs.db (and models/), "
        "instead of the platform's user directories.",
    ),
    ("LLMCLI_DEBUG", "When set (e.g. to 1), internal errors print a traceback, as with --debug."),
    ("LLMCLI_MODELS_DIR", "Where local models (the local/ provider) are stored."),
    (
        "OMP_WAIT_POLICY",
        "Passed to the llama.cpp server run for local/ models; llmcli sets passive when it is "
        "not set (spin-waiting threads slow decoding down on a busy machine).",
    ),
    (
        "NO_COLOR",
        "When set, output is plain text even on a terminal (unless the config file "
        'says color = "always").',
    ),
    ("VISUAL, EDITOR", "The editor `llmcli config edit` runs."),
    (
        "XDG_CONFIG_HOME, XDG_DATA_HOME",
        "On Linux, the user config and data directories "
        "(default ~/.config and ~/.local/share) when LLMCLI_HOME is not set.",
    ),
]

FILES: list[tuple[str, str]] = [
    (
        "config.toml",
        "Settings: default model, aliases, per-provider api_base and options, log, "
        "color, show_reasoning. In $LLMCLI_HOME when set, else the user config directory: "
        "~/.config/llmcli/ on Linux ($XDG_CONFIG_HOME/llmcli/), ~/Library/Application Support/"
        "llmcli/ on macOS, %LOCALAPPDATA%\\llmcli\\llmcli\\ on Windows. "
        "`llmcli config path` prints it.",
    ),
    (
        "keys.toml",
        "API keys stored by `llmcli keys set`, in the same directory as config.toml, "
        "mode 0600; llmcli refuses to read it when group or others can access it. "
        "`llmcli keys path` prints it.",
    ),
    (
        "logs.db",
        "The conversation history (SQLite): $LLMCLI_HOME/logs.db when LLMCLI_HOME is set, "
        "else in the user data directory (~/.local/share/llmcli/ on Linux); --db names another. "
        "`llmcli logs path` prints it.",
    ),
    (
        "models/",
        "Local model files: $LLMCLI_MODELS_DIR, else $LLMCLI_HOME/models, else "
        "~/.local/share/llmcli/models on Linux.",
    ),
]

EXIT_STATUS: list[tuple[str, str]] = [
    ("0", "The answer arrived (the command succeeded)."),
    (
        "1",
        "The provider answered with an error, the server could not be reached, or the answer "
        "broke off.",
    ),
    ("2", "Bad usage: unknown provider, missing key, no prompt, invalid flag value."),
    ("130", "Interrupted (Ctrl-C)."),
]


def environment(tree: Cmd) -> list[tuple[str, str]]:
    """ENVIRONMENT entries: the list above, each provider's variables, options' envvars."""
    from llmcli.providers import PROVIDERS

    entries = list(ENVIRONMENT)
    named = {n for names, _ in entries for n in names.split(", ")}

    def add(name: str, text: str) -> None:
        if name not in named:
            named.add(name)
            entries.append((name, text))

    for spec in PROVIDERS.values():
        for var in spec.key_envs:
            add(var, f"The API key for {spec.name}/ models (--api-key wins; else the keys file).")
        templates = dict(spec.base_templates)
        for var in spec.base_envs:
            default = f" (default {spec.default_base})" if spec.default_base else ""
            if var in templates:
                url = templates[var].format("NAME")
                add(var, f"A resource NAME: the base URL for {spec.name}/ models is {url}.")
            add(var, f"The base URL for {spec.name}/ models{default}; --api-base wins.")
        for var in spec.exact_url_envs:
            add(var, f"When 1, {spec.name}/ requests go to the base URL as given (no path added).")
        for var, header in spec.env_headers:
            add(var, f"Sent as the {header} header to {spec.name}.")
    for cmd in tree.walk():
        for opt in cmd.options:
            match = re.search(r"env var: ([A-Z0-9_, ]+)", opt.extra)
            if match:
                for var in match[1].split(", "):
                    add(var.strip(), f"The default for {', '.join(opt.names)}: {opt.help}")
    return entries


def _synopsis(cmd: Cmd) -> list[str]:
    """`.B llmcli logs show` then `[\fIOPTIONS\fR] \fICID\fR`: the words in italics."""
    usage = re.sub(r"[A-Z][A-Z0-9_|=-]*", lambda m: "\x00" + m[0] + "\x01", cmd.usage)
    text = roff(usage).replace("\x00", "\\fI").replace("\x01", "\\fR")
    return [f".B {roff(cmd.name)}", text]


def _man_option(opt: Opt) -> list[str]:
    names = ", ".join(_b(n) for n in opt.names)
    if opt.negations:
        names += " / " + ", ".join(_b(n) for n in opt.negations)
    if opt.takes_value:
        names += " " + _i(opt.metavar)
    text = " ".join(t for t in (opt.help, opt.extra) if t)
    return [".TP", names, roff(text) if text else "\\&"]


def render_man(tree: Cmd, readme: str | None = None) -> str:
    from llmcli import __version__
    from llmcli.providers import PROVIDERS

    readme = readme if readme is not None else _readme()
    lines = [
        f'.\\" {GENERATED}',
        f'.TH LLMCLI 1 "" "{PROG} {roff(__version__)}" "User Commands"',
        ".nh",  # no hyphenation: option names and model ids stay whole
        ".ad l",
        ".SH NAME",
        f"{PROG} \\- {roff(tree.short[:1].lower() + tree.short[1:])}",
        ".SH SYNOPSIS",
    ]
    first = True
    for cmd in tree.walk():
        if cmd.subcommands and cmd.path:
            continue
        lines += ([] if first else [".br"]) + _synopsis(cmd)
        first = False
    lines += [".SH DESCRIPTION"]
    intro = _readme_intro(readme)
    for paragraph in ([intro] if intro else []) + tree.help[1:]:
        lines += [roff(paragraph), ".PP"]
    prefixes = ", ".join(f"{name}/" for name in PROVIDERS)
    lines += [
        roff(
            "Models are named PROVIDER/MODEL, the prefix choosing the provider: "
            f"{prefixes}. With --api-base URL any other name goes to an OpenAI-compatible "
            "server. Every error is one line on standard error, and the exit status says "
            "what kind it was (see EXIT STATUS)."
        ),
        ".SH OPTIONS",
    ]
    for opt in tree.options:
        lines += _man_option(opt)
    lines += [".SH COMMANDS", roff("Every command takes -h, --help: its own help.")]
    for cmd in tree.walk():
        if not cmd.path:
            continue
        lines += [f'.SS "{roff(cmd.name)} {roff(cmd.usage)}"']
        for i, paragraph in enumerate(cmd.help):
            lines += [".PP"] * (i > 0) + [roff(paragraph)]
        if cmd.subcommands:
            names = ", ".join(s.path[-1] for s in cmd.subcommands)
            lines += [".PP", roff(f"Subcommands: {names}.")]
        for arg in cmd.arguments:
            lines += [".TP", _i(arg.metavar), roff(arg.help) if arg.help else "\\&"]
        panel: str | None = None
        for opt in cmd.options:
            if opt.is_help:
                continue
            if opt.panel != panel and opt.panel:
                lines += [".PP", _i(opt.panel + ":")]
            panel = opt.panel
            lines += _man_option(opt)
    lines += [".SH ENVIRONMENT"]
    for name, text in environment(tree):
        lines += [".TP", ", ".join(_b(n) for n in name.split(", ")), roff(text)]
    lines += [".SH FILES"]
    for name, text in FILES:
        lines += [".TP", _i(name), roff(text)]
    lines += [".SH EXIT STATUS"]
    for code, text in EXIT_STATUS:
        lines += [".TP", _b(code), roff(text)]
    lines += [
        ".SH SEE ALSO",
        roff("llmcli COMMAND --help; the README of the llmcli project."),
    ]
    return "\n".join(lines) + "\n"


def _readme() -> str:
    path = ROOT / "README.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _readme_intro(readme: str) -> str:
    """The README's first paragraph (under its title)."""
    body = readme.split("\n## ", 1)[0]
    chunks = [" ".join(p.split()) for p in re.split(r"\n\s*\n", body)]
    return next((p for p in chunks if p and not p.startswith("#")), "")
