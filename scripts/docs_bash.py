"""The bash completion script."""

from __future__ import annotations

from docs_tree import GENERATED, PROG, Cmd, Values, sh_quote

# ---- bash -----------------------------------------------------------------------------------


def _case_label(key: str) -> str:
    return '""' if not key else sh_quote(key)


def render_bash(tree: Cmd, models: tuple[str, ...]) -> str:
    commands = list(tree.walk())

    def case(fn: str, doc: str, rows: list[tuple[str, str]]) -> list[str]:
        out = [f"# {doc}", f"{fn}() {{", '    case "$1" in']
        out += [f"        {label}) {body} ;;" for label, body in rows]
        return [*out, "    esac", "}", ""]

    def listing(cmd: Cmd, names: list[str]) -> tuple[str, str]:
        return _case_label(" ".join(cmd.path)), "echo " + sh_quote(" ".join(names))

    subcommands = [
        listing(c, [s.path[-1] for s in c.subcommands]) for c in commands if c.subcommands
    ]
    options = [listing(c, [n for o in c.options for n in o.all_names]) for c in commands]
    takes = [
        listing(c, [n for o in c.options if o.takes_value for n in o.names])
        for c in commands
        if any(o.takes_value for o in c.options)
    ]
    pairs = [
        listing(c, [n for o in c.options if o.pair for n in o.names])
        for c in commands
        if any(o.pair for o in c.options)
    ]
    value_rows: dict[str, list[str]] = {}
    for cmd in commands:
        for opt in cmd.options:
            if opt.takes_value and opt.values:
                body = _bash_values(opt.values)
                value_rows.setdefault(body, []).extend(
                    sh_quote(" ".join((*cmd.path, n)).strip()) for n in opt.names
                )
    arg_rows: dict[str, list[str]] = {}
    for cmd in commands:
        for index, arg in enumerate(cmd.arguments):
            if arg.values:
                key = " ".join((*cmd.path, str(index) if not arg.many else "*"))
                arg_rows.setdefault(_bash_values(arg.values), []).append(sh_quote(key))
    lines = [
        f"# bash completion for {PROG}.  -*- shell-script -*-",
        f"# {GENERATED}",
        "# Install: `source` this file from ~/.bashrc, or copy it to",
        "# ~/.local/share/bash-completion/completions/llmcli (bash-completion loads it on demand).",
        "",
        *case("__llmcli_subcommands", "The subcommands of a command path.", subcommands),
        *case("__llmcli_options", "Every option of a command path.", options),
        *case("__llmcli_value_options", "The options of a command path that take a value.", takes),
        *case("__llmcli_pair_options", "Its options that take NAME VALUE (two words).", pairs),
        "# What -m/--model completes to.",
        "__llmcli_models() {",
        "    echo " + sh_quote(" ".join(models)),
        "}",
        "",
        "# Adds the words of $1 that start with $cur; no space after a prefix like openai/.",
        "__llmcli_words() {",
        "    local word",
        '    for word in $(compgen -W "$1" -- "$cur"); do',
        '        COMPREPLY+=("$word")',
        '        case "$word" in',
        "            */ | *. | *=) compopt -o nospace 2>/dev/null ;;",
        "        esac",
        "    done",
        "}",
        "",
        "# Adds the file names that start with $cur.",
        "__llmcli_files() {",
        "    local name",
        "    while IFS= read -r name; do",
        '        COMPREPLY+=("$name")',
        '    done < <(compgen -f -- "$cur")',
        "    compopt -o filenames 2>/dev/null",
        "}",
        "",
        "# The value of option $2 of command path $1.",
        "__llmcli_option_value() {",
        '    case "$1 $2" in',
        *(f"        {' | '.join(labels)}) {body} ;;" for body, labels in value_rows.items()),
        "    esac",
        "}",
        "",
        "# Positional argument $2 (from 0) of command path $1.",
        "__llmcli_argument_value() {",
        '    case "$1 $2" in',
        *(f"        {' | '.join(labels)}) {body} ;;" for body, labels in arg_rows.items()),
        "    esac",
        "}",
        "",
        _BASH_MAIN,
    ]
    return "\n".join(lines)


def _bash_values(values: Values) -> str:
    calls = []
    if values.models:
        calls.append('__llmcli_words "$(__llmcli_models)"')
    if values.words:
        calls.append("__llmcli_words " + sh_quote(" ".join(values.words)))
    if values.files:
        calls.append("__llmcli_files")
    return "; ".join(calls)


_BASH_MAIN = r"""_llmcli() {
    local cur prev words cword
    COMPREPLY=()
    if declare -F _init_completion >/dev/null; then
        _init_completion -n =: || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        # `--model=x` split at the `=` (COMP_WORDBREAKS): the option is the word before it.
        if [[ $cur == "=" ]]; then
            prev=${words[cword - 1]}
            cur=
        elif [[ $prev == "=" ]]; then
            prev=${words[cword - 2]}
        fi
    fi

    # The subcommand path typed so far, and how many arguments follow it. skip: the
    # words still owned by an option (2: a NAME VALUE option's NAME, then its VALUE
    # unless NAME holds the `=`; a `=` split off by COMP_WORDBREAKS is passed over).
    local path="" word i skip=0 nargs=0 pairs
    for ((i = 1; i < cword; i++)); do
        word=${words[i]}
        if ((skip)); then
            [[ $word == "=" ]] && continue
            if ((skip == 2)) && [[ $word != *=* ]]; then
                skip=1
            else
                skip=0
            fi
            continue
        fi
        pairs=" $(__llmcli_pair_options "$path") "
        case "$word" in
            =) ;;
            --*=*)
                # --param=NAME VALUE: VALUE is the next word.
                if [[ $pairs == *" ${word%%=*} "* && ${word#*=} != *=* ]]; then
                    skip=1
                fi
                ;;
            -*)
                if [[ $pairs == *" $word "* ]]; then
                    skip=2
                elif [[ " $(__llmcli_value_options "$path") " == *" $word "* ]]; then
                    skip=1
                elif [[ $word != --* && $pairs == *" ${word:0:2} "* && $word != *=* ]]; then
                    skip=1 # -pNAME VALUE
                fi
                ;;
            *)
                if [[ " $(__llmcli_subcommands "$path") " == *" $word "* ]]; then
                    path=${path:+$path }$word
                    nargs=0
                else
                    ((nargs++))
                fi
                ;;
        esac
    done

    if [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        cur=${cur#*=}
        __llmcli_option_value "$path" "$prev"
    elif [[ $prev == -* && " $(__llmcli_value_options "$path") " == *" $prev "* ]]; then
        __llmcli_option_value "$path" "$prev"
    elif ((skip)); then
        : # the NAME or VALUE of a NAME VALUE option: free text
    elif [[ $cur == -* ]]; then
        __llmcli_words "$(__llmcli_options "$path")"
    elif [[ -n $(__llmcli_subcommands "$path") ]]; then
        __llmcli_words "$(__llmcli_subcommands "$path")"
    else
        __llmcli_argument_value "$path" "$nargs"
        [[ ${#COMPREPLY[@]} -gt 0 ]] || __llmcli_argument_value "$path" "*"
    fi
    if declare -F __ltrim_colon_completions >/dev/null; then
        __ltrim_colon_completions "$cur"
    fi
    return 0
}

complete -F _llmcli llmcli
"""
