"""The fish completion script."""

from __future__ import annotations

from docs_tree import GENERATED, PROG, Cmd, Opt, Values, first_sentence, negation_help

# ---- fish -----------------------------------------------------------------------------------


def _fq(text: str) -> str:
    """Single-quoted for fish."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render_fish(tree: Cmd, models: tuple[str, ...]) -> str:
    commands = list(tree.walk())

    def switch(fn: str, doc: str, rows: list[tuple[str, list[str]]]) -> list[str]:
        out = [f"function {fn} --description {_fq(doc)}", "    switch $argv[1]"]
        for key, words in rows:
            out += [
                f"        case {_fq(key)}",
                "            printf '%s\\n' " + " ".join(_fq(w) for w in words),
            ]
        return [*out, "    end", "end", ""]

    subcommands = [
        (" ".join(c.path), [s.path[-1] for s in c.subcommands]) for c in commands if c.subcommands
    ]
    takes = [
        (" ".join(c.path), [n for o in c.options if o.takes_value for n in o.names])
        for c in commands
        if any(o.takes_value for o in c.options)
    ]
    pairs = [
        (" ".join(c.path), [n for o in c.options if o.pair for n in o.names])
        for c in commands
        if any(o.pair for o in c.options)
    ]
    lines = [
        f"# fish completion for {PROG}. {GENERATED}",
        "# Install: copy this file to ~/.config/fish/completions/llmcli.fish",
        "",
        *switch("__llmcli_subcommands", "The subcommands of a command path", subcommands),
        *switch("__llmcli_value_options", "The options of a command path that take a value", takes),
        *switch("__llmcli_pair_options", "Its options that take NAME VALUE (two words)", pairs),
        "function __llmcli_path --description 'The llmcli subcommand path typed so far'",
        "    set -l tokens (commandline -opc)",
        "    set -e tokens[1]",
        "    set -l path",
        "    set -l skip 0",
        "    # skip: the words an option still owns (2: NAME of NAME VALUE, then VALUE",
        "    # unless NAME holds the `=`).",
        "    for token in $tokens",
        "        if test $skip != 0",
        "            if test $skip = 2; and not string match -q -- '*=*' $token",
        "                set skip 1",
        "            else",
        "                set skip 0",
        "            end",
        "            continue",
        "        end",
        '        set -l pairs (__llmcli_pair_options "$path")',
        "        switch $token",
        "            case '--*=*'",
        "                set -l parts (string split -m 1 = -- $token)",
        "                if contains -- $parts[1] $pairs",
        "                    and not string match -q -- '*=*' $parts[2]",
        "                    set skip 1",
        "                end",
        "            case '-*'",
        "                if contains -- $token $pairs",
        "                    set skip 2",
        '                else if contains -- $token (__llmcli_value_options "$path")',
        "                    set skip 1",
        "                else if not string match -q -- '--*' $token",
        "                    and contains -- (string sub -l 2 -- $token) $pairs",
        "                    and not string match -q -- '*=*' $token",
        "                    set skip 1 # -pNAME VALUE",
        "                end",
        "            case '*'",
        '                if contains -- $token (__llmcli_subcommands "$path")',
        "                    set path (string join ' ' $path $token)",
        "                end",
        "        end",
        "    end",
        "    echo $path",
        "end",
        "",
        "function __llmcli_at --description 'Whether the subcommand path typed so far is $argv'",
        "    set -l path (__llmcli_path)",
        '    test "$path" = "$argv"',
        "end",
        "",
        "function __llmcli_models --description 'What -m/--model completes to'",
        "    printf '%s\\n' " + " ".join(_fq(m) for m in models),
        "end",
        "",
        f"complete -c {PROG} -f",
    ]
    for cmd in commands:
        at = f"-n {_fq('__llmcli_at ' + ' '.join(cmd.path))}" if cmd.path else "-n '__llmcli_at'"
        lines.append("")
        lines.append(f"# {cmd.name}")
        for sub in cmd.subcommands:
            lines.append(f"complete -c {PROG} {at} -a {_fq(sub.path[-1])} -d {_fq(sub.short)}")
        for opt in cmd.options:
            lines += _fish_option(at, opt)
        for arg in cmd.arguments:
            if arg.values:
                lines.append(f"complete -c {PROG} {at} {_fish_values(arg.values)}".rstrip())
    return "\n".join(lines) + "\n"


def _fish_values(values: Values) -> str:
    parts = []
    if values.files:
        parts.append("-F")
    words = " ".join(values.words)
    if values.models:
        words = ("(__llmcli_models) " + words).strip()
    if words:
        parts.append(f"-a {_fq(words)}")
    return " ".join(parts)


def _fish_option(at: str, opt: Opt) -> list[str]:
    def flags(names: list[str]) -> str:
        return " ".join(f"-s {n[1:]}" if not n.startswith("--") else f"-l {n[2:]}" for n in names)

    desc = f" -d {_fq(first_sentence(opt.help))}" if opt.help else ""
    if not opt.takes_value:
        lines = [f"complete -c {PROG} {at} {flags(opt.names)}{desc}"]
        lines += [
            f"complete -c {PROG} {at} {flags([n])} -d {_fq(negation_help(opt))}"
            for n in opt.negations
        ]
        return lines
    values = _fish_values(opt.values)
    kind = "-r" if opt.values.files else "-x"
    return [f"complete -c {PROG} {at} {flags(opt.names)} {kind} {values}".rstrip() + desc]
