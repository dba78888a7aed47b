"""--context truncate|summarize|error for `chat`, `-c` and `--cid`: the conversation is
fitted to the model's context window before it is sent, and once more after a provider
says it was too long (llmcli/context.py has the rules; `runner.send` calls `fit` and
`retry`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from llmcli.cli import spec
from llmcli.errors import UsageError

if TYPE_CHECKING:
    from llmcli.context import Fitted, Summary
    from llmcli.errors import ProviderError
    from llmcli.history import History
    from llmcli.request import Message, Request

# What a retry keeps of the last estimate when the provider gave no sizes.
RETRY_SHARE = 2 / 3


class Window:
    """`send` is the runner's (`runner.send`), passed in: the runner imports this module."""

    def __init__(
        self,
        flags: spec.Flags,
        history: History | None,
        cid: Callable[[], str | None],
        send: Callable[..., Any],
    ) -> None:
        self.flags = flags
        self.send = send
        self.history = history
        self.cid = cid
        self.strategy: str = flags.context or "truncate"
        self.shrink: float | None = None  # set by a retry: a share of the last estimate
        self.last_tokens = 0
        self.summary_model = ""

    def fit(self, req: Request) -> Request:
        """`req` with the conversation cut to fit (or summarized), said on stderr. A stored
        summary stands for the messages it covers; it stays when more are dropped."""
        from llmcli.context import Fitted, truncate, with_summary
        from llmcli.cost import local_tokens, message_chars, request_chars

        if self.flags.force and self.shrink is None:  # sent whole, as asked
            return req

        stored = self._stored()
        offset = stored.covers if stored and 0 < stored.covers < len(req.messages) else 0
        summary = stored.text if stored and offset else None
        messages = req.messages[offset:]
        others = request_chars(req) - sum(message_chars(m) for m in req.messages)
        fixed = local_tokens(others + len(summary or ""))
        budget = self._budget(req)
        if budget is None:
            size = fixed + sum(local_tokens(message_chars(m)) for m in messages)
            fitted = Fitted(messages, [], 0, size)
        else:
            fitted = truncate(messages, fixed, budget)
        self.last_tokens = fitted.tokens
        if fitted.exchanges:
            summary = self._shorten(req, fitted, summary, offset)
        kept = with_summary(fitted.messages, summary) if summary else fitted.messages
        from llmcli.request import changed

        return changed(req, messages=kept)

    def retry(self, err: ProviderError) -> bool:
        """Whether to send once more after `err`: a first "context length exceeded"
        under truncate or summarize."""
        from llmcli.context import context_exceeded, reported_sizes

        if self.shrink is not None or self.strategy == "error" or not context_exceeded(err):
            return False
        sizes = reported_sizes(err)
        # The provider counted `sent` where we estimated `last_tokens`: scale to its limit.
        self.shrink = sizes[1] / sizes[0] * 0.9 if sizes else RETRY_SHARE
        return True

    def _budget(self, req: Request) -> int | None:
        """Tokens the request may take, leaving room for the answer."""
        from llmcli import catalog
        from llmcli.cost import max_output

        entry = catalog.lookup(req.provider, req.model)
        window = entry.context_window if entry else None
        budget = None
        if window:
            answer = max_output(req)
            budget = window - min(answer or window // 8, window // 2)
        if self.shrink is not None and self.last_tokens:
            shrunk = int(self.last_tokens * self.shrink)
            budget = shrunk if budget is None else min(budget, shrunk)
        return budget

    def _shorten(
        self, req: Request, fitted: Fitted, summary: str | None, offset: int
    ) -> str | None:
        """The summary to send with what is kept: a new one (summarize) or the stored one."""
        from llmcli.context import Summary

        model = f"{req.provider}/{req.model}"
        if self.strategy == "error":
            raise UsageError(
                f"the conversation (about {self.last_tokens:,} tokens with the oldest "
                f"exchanges) does not fit {model}'s context window with room for the answer: "
                "use --context truncate or summarize, or start a new conversation"
            )
        if self.strategy == "summarize":
            text = self._summarize(fitted.dropped, summary)
            self._store(Summary(offset + len(fitted.dropped), text))
            sys.stderr.write(
                f"llmcli: the conversation outgrew {model}'s context window: "
                f"{fitted.exchanges} older exchange(s) replaced with a summary\n"
            )
            return text
        sys.stderr.write(
            f"llmcli: the conversation outgrew {model}'s context window: dropped the "
            f"oldest {fitted.exchanges} exchange(s) (--context summarize keeps a summary)\n"
        )
        return summary

    def _summarize(self, dropped: list[Message], earlier: str | None) -> str:
        """A summary by the same model (or --summary-model), through the same runner."""
        from llmcli.context import SUMMARY_INSTRUCTIONS, transcript
        from llmcli.errors import LlmcliError
        from llmcli.request import user_message

        flags = self.flags
        same = flags.summary_model is None
        summary_flags = spec.Flags(
            model=flags.summary_model or flags.model,
            api_key=flags.api_key if same else None,
            api_base=flags.api_base if same else None,
            headers=flags.headers if same else [],
            retries=flags.retries,
            timeout=flags.timeout,
            stream=False,
            log=False,
            max_cost=flags.max_cost,  # the summary is a paid request too
            debug=flags.debug,
            **{spec.SYSTEM_SETTING: SUMMARY_INSTRUCTIONS},
        )
        outcome = self.send(summary_flags, [user_message(transcript(dropped, earlier))], _Quiet())
        if outcome.result.error or not outcome.result.content.strip():
            raise LlmcliError(f"the summary failed: {outcome.result.error or 'empty answer'}")
        # Which model wrote it, as routed (--summary-model, -m or the default): `logs show`.
        self.summary_model = f"{outcome.request.provider}/{outcome.request.model}"
        return str(outcome.result.content)

    def _stored(self) -> Summary | None:
        from llmcli.context import load_summary

        cid = self.cid()
        if self.history is None or cid is None:
            return None
        return load_summary(self.history.db, cid)

    def _store(self, summary: Summary) -> None:
        from llmcli.context import save_summary

        cid = self.cid()
        if self.history is not None and self.history.write and cid is not None:
            save_summary(self.history.db, cid, summary, self.summary_model)


class _Quiet:
    """The summary is not shown: it stands in the conversation."""

    def event(self, event: object) -> None:
        pass

    def finish(self, result: object) -> None:
        pass

    def close(self) -> None:
        pass
