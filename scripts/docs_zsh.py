"""The zsh completion script."""

from __future__ import annotations

import re

from docs_tree import (
    GENERATED,
    PROG,
    TYPE_METAVARS,
    Cmd,
    Opt,
    Values,
    first_sentence,
    ident,
    negation_help,
    sh_quote,
)

# ---- zsh ------------------------------------------------------------------------------------


def _zsh_desc(text: str) -> str:
    """Text inside an _arguments `[...]` description."""
    return re.sub(r"([\\\[\]])", r"\\\1", text)


def _zsh_message(text: str) -> str:
    return text.replace("\\", "\\\\").replace(":", "\\:") or " "


def render_zsh(tree: Cmd, models: tuple[str, ...]) -> str:
    lines = [
        f"#compdef {PROG}",
        f"# zsh completion for {PROG}. {GENERATED}",
        "# Install: copy this file, named _llmcli, to a directory of $fpath (e.g.",
        "# ~/.zfunc with `fpath=(~/.zfunc $fpath)` before `compinit` in ~/.zshrc).",
        "",
        "# Completes the words given; no space after a prefix like openai/.",
        "__llmcli_values() {",
        "  local expl word ret=1",
        "  local -a open closed",
        '  for word in "$@"; do',
        "    if [[ $word == *[/.=] ]]; then open+=($word); else closed+=($word); fi",
        "  done",
        "  _description values expl value",
        "  (( $#open )) && compadd \"$expl[@]\" -S '' -a open && ret=0",
        '  (( $#closed )) && compadd "$expl[@]" -a closed && ret=0',
        "  return ret",
        "}",
        "",
        *_JOIN_PAIRS,
        "# What -m/--model completes to.",
        "__llmcli_models() {",
        "  __llmcli_values " + " ".join(sh_quote(m) for m in models),
        "}",
        "",
    ]
    for cmd in tree.walk():
        lines += _zsh_command(cmd)
    lines += [
        "if [[ $funcstack[1] == _llmcli ]]; then",
        '  _llmcli "$@"',
        "else",
        "  compdef _llmcli llmcli",
        "fi",
        "",
    ]
    return "\n".join(lines)


def _zsh_action(values: Values, message: str) -> str:
    msg = _zsh_message(message)
    if values.models:
        return f"{msg}:__llmcli_models"
    if values.words and not values.files and not any(w[-1:] in "/.=" for w in values.words):
        return f"{msg}:({' '.join(values.words)})"
    if values.words:
        plain = re.compile(r"[\w./=:+-]+")
        words = " ".join(w if plain.fullmatch(w) else sh_quote(w) for w in values.words)
        files = "; _files" if values.files else ""
        return f"{msg}:{{__llmcli_values {words}{files}}}"
    if values.files:
        return f"{msg}:_files"
    return f"{msg}: "


def _message(opt: Opt) -> str:
    """What a value is called: the metavar the option declares, else its long name."""
    if opt.metavar.startswith("[") or opt.metavar in TYPE_METAVARS.values():
        return next((n for n in opt.names if n.startswith("--")), opt.names[0]).lstrip("-")
    return opt.metavar


def _zsh_option_specs(opt: Opt) -> list[str]:
    names = opt.all_names
    exclusive = "" if opt.multiple else "(" + " ".join(names) + ")"
    if opt.is_help or opt.names == ["--version"]:
        exclusive = "(- *)"
    star = "*" if opt.multiple else ""
    desc = "[" + _zsh_desc(first_sentence(opt.help, 200)) + "]" if opt.help else ""
    specs = []
    for name in opt.names:
        suffix = ("=" if name.startswith("--") else "+") if opt.takes_value else ""
        action = ":" + _zsh_action(opt.values, _message(opt)) if opt.takes_value else ""
        specs.append(f"{exclusive}{star}{name}{suffix}{desc}{action}")
    for name in opt.negations:
        specs.append(f"{exclusive}{name}[{_zsh_desc(negation_help(opt))}]")
    return specs


def _zsh_command(cmd: Cmd) -> list[str]:
    fn = ident(cmd.path)
    specs = [s for opt in cmd.options for s in _zsh_option_specs(opt)]
    out = [f"{fn}() {{"]
    pairs = [n for opt in cmd.options if opt.pair for n in opt.names]
    if pairs:
        out += [f"  __llmcli_join_pairs {' '.join(pairs)} || return"]
    if cmd.subcommands:
        label = " ".join((PROG, *cmd.path))
        entries = [sh_quote(f"{s.path[-1]}:{s.short}") for s in cmd.subcommands]
        out += [
            '  local curcontext="$curcontext" state line ret=1',
            "  typeset -A opt_args",
            "  _arguments -C \\",
            *(f"    {sh_quote(s)} \\" for s in specs),
            "    ': :->command' \\",
            "    '*:: :->args' && ret=0",
            "  case $state in",
            "    (command)",
            "      local -a commands",
            "      commands=(",
            *(f"        {e}" for e in entries),
            "      )",
            f"      _describe -t commands {sh_quote(label + ' command')} commands && ret=0",
            "      ;;",
            "    (args)",
            f'      curcontext="${{curcontext%:*:*}}:{"-".join((PROG, *cmd.path))}-$words[1]:"',
            "      case $words[1] in",
            *(f"        ({s.path[-1]}) {ident(s.path)} && ret=0 ;;" for s in cmd.subcommands),
            "      esac",
            "      ;;",
            "  esac",
            "  return ret",
        ]
    else:
        for index, arg in enumerate(cmd.arguments):
            position = "*" if arg.many else str(index + 1)
            optional = ":" if not arg.required and not arg.many else ""
            specs.append(f"{position}:{optional}{_zsh_action(arg.values, arg.name)}")
        if specs:
            out += ["  _arguments -s -S \\", *(f"    {sh_quote(s)} \\" for s in specs[:-1])]
            out += [f"    {sh_quote(specs[-1])}"]
        else:
            out += ["  _message 'no arguments'"]
    return [*out, "}", ""]


# _arguments gives an option one word, so the VALUE of `-p NAME VALUE` (flag.PAIR, parsed
# by cli/typer_patches.take_pairs) would count as an argument: the words before the cursor
# are rewritten to the one-word form, NAME=VALUE. Fails (after a message) on a VALUE.
_JOIN_PAIRS = [
    "# `-p NAME VALUE` → `-p NAME=VALUE` in $words before the cursor (options $@).",
    "__llmcli_join_pairs() {",
    "  local -a pairs=($@)",
    "  local i=2 word joined",
    "  while (( i < CURRENT )); do",
    "    word=$words[i] joined=0",
    "    if (( $pairs[(Ie)$word] )) && [[ $words[i+1] != *=* ]]; then",
    "      (( i + 2 == CURRENT )) && { _message -r VALUE; return 1 }",
    '      (( i + 2 < CURRENT )) && words[i+1]+="=$words[i+2]" && joined=2',
    "    elif [[ $word == --*=* && ${word#*=} != *=* ]] &&",
    "        (( $pairs[(Ie)${word%%=*}] )); then",
    "      joined=1",
    "    elif [[ $word == -[^-]?* && $word != *=* ]] && (( $pairs[(Ie)${word[1,2]}] )); then",
    "      joined=1  # -pNAME VALUE",
    "    fi",
    "    if (( joined == 1 )); then",
    "      (( i + 1 == CURRENT )) && { _message -r VALUE; return 1 }",
    '      words[i]+="=$words[i+1]"',
    "    fi",
    "    if (( joined )); then",
    "      words[i+joined]=()",
    "      (( CURRENT-- ))",
    "    fi",
    "    (( i++ ))",
    "  done",
    "  return 0",
    "}",
    "",
]
