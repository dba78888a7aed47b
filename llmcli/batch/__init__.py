"""`llmcli batch`: many requests from JSONL through the same engine as `complete`.

Pure of the CLI: `lines` reads the input shapes, `output` writes and resumes the output
file, `pool` runs items on a bounded, adaptive thread pool over the sync engine. The
glue that turns an item into a `Request` lives in llmcli/cli/batch.py.
"""
