"""GET a file from a URL the user gave (a URL attachment, a `-f` page): no credentials
are sent, redirects are followed, failures worth it are retried as answers are, and never
more than a cap is read. Callers word the errors for their flag."""

from __future__ import annotations

from dataclasses import dataclass


class FetchFailed(Exception):
    """The URL could not be fetched: `str()` says why (`HTTP 404`, the network error)."""


class TooLarge(Exception):
    """The body passed the cap: nothing more was read."""


@dataclass
class Fetched:
    data: bytes
    mime: str  # the content type, lower case, without parameters ("" when none was sent)
    charset: str | None


def fetch(url: str, timeout: float, cap: int, retries: int = 0) -> Fetched:
    """The body of `url`, retried up to `retries` times on a network error or a status
    the transport retries too (with the same backoff)."""
    import time

    import httpx

    from llmcli.transport import RETRY_STATUSES, backoff_delay

    for attempt in range(retries + 1):
        try:
            return _get(url, timeout, cap)
        except httpx.HTTPStatusError as err:
            status = err.response.status_code
            if status not in RETRY_STATUSES or attempt == retries:
                raise FetchFailed(f"HTTP {status}") from None
        except httpx.HTTPError as err:
            if attempt == retries:
                raise FetchFailed(str(err) or type(err).__name__) from None
        time.sleep(backoff_delay(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def _get(url: str, timeout: float, cap: int) -> Fetched:
    import httpx

    chunks: list[bytes] = []
    got = 0
    with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            got += len(chunk)
            if got > cap:
                raise TooLarge(url)
            chunks.append(chunk)
        kind = response.headers.get("content-type", "")
        charset = response.charset_encoding
    data = b"".join(chunks)
    del chunks
    return Fetched(data, kind.split(";")[0].strip().lower(), charset)
