"""`llmcli cmd --shell-integration SHELL`: a key binding (Alt-L, as shell_gpt binds
Ctrl-L) that replaces the command line being typed with the command generated from it,
for the user to read and run. Under `$(...)` stdout is not a terminal, so `cmd` prints
only the command and runs nothing."""

from __future__ import annotations

BASH = r"""# llmcli cmd: Alt-L turns the text on the command line into a shell command.
_llmcli_cmd_widget() {
    if [[ -n "$READLINE_LINE" ]]; then
        local generated
        generated=$(llmcli cmd -- "$READLINE_LINE" </dev/tty) && READLINE_LINE=$generated
        READLINE_POINT=${#READLINE_LINE}
    fi
}
bind -x '"\el": _llmcli_cmd_widget'
"""

ZSH = r"""# llmcli cmd: Alt-L turns the text on the command line into a shell command.
_llmcli_cmd_widget() {
    if [[ -n "$BUFFER" ]]; then
        local generated
        generated=$(llmcli cmd -- "$BUFFER" </dev/tty) && BUFFER=$generated
        CURSOR=${#BUFFER}
        zle redisplay
    fi
}
zle -N _llmcli_cmd_widget
bindkey '\el' _llmcli_cmd_widget
"""

FISH = r"""# llmcli cmd: Alt-L turns the text on the command line into a shell command.
function _llmcli_cmd_widget
    set -l line (commandline)
    if test -n "$line"
        set -l generated (llmcli cmd -- "$line" </dev/tty | string collect)
        and commandline -r -- $generated
    end
    commandline -f repaint
end
bind \el _llmcli_cmd_widget
"""

SNIPPETS = {"bash": BASH, "zsh": ZSH, "fish": FISH}
