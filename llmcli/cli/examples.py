"""The examples that end a command's `--help` (the man page shows them too)."""

from __future__ import annotations

# `\b` keeps click from re-wrapping them.
EXAMPLES = {
    "complete": """Examples:

\b
  llmcli complete "Say hello"                      # the offline default model
  llmcli complete -m openai/gpt-4o-mini -s "Be brief" "What is HTTP/3?"
  git diff | llmcli complete -m anthropic/claude-sonnet-4-5 "Review this"
  llmcli complete -m openai/gpt-4o-mini -a chart.png "What does it show?"
  llmcli complete -m openai/gpt-4o-mini --json-schema person.json "Invent one"
  llmcli complete -c "And in French?"              # continue the last one
""",
    "chat": """Examples:

\b
  llmcli chat                                     # the offline default model
  llmcli chat -m anthropic/claude-sonnet-4-5 -s "You are a Go expert"
  llmcli chat -m openai/gpt-4o-mini -a report.pdf "Summarize this"
  llmcli chat -c                                  # go on with the last one
""",
    "embed": """Examples:

\b
  llmcli embed -m openai/text-embedding-3-small "a cat" "a dog"
  llmcli embed -m ollama/nomic-embed-text --lines < sentences.txt
  llmcli embed -m openai/text-embedding-3-small -f docs.jsonl --format jsonl
""",
    "image": """Examples:

\b
  llmcli image -m openai/gpt-image-1 "a red fox in snow"
  llmcli image -m openai/dall-e-3 --size 1792x1024 --output fox.png "a fox"
  llmcli image -m openai/gpt-image-1 -n 3 --output-dir out "logo ideas"
""",
}
