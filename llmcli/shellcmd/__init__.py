"""`llmcli cmd`: one shell command from a task (the prompt, the answer's shape, the
deny-list, the terminal menu, the shell key bindings). The request goes through the same
runner and engine as `complete` (llmcli/cli/cmd.py)."""
