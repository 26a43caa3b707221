"""A small synchronous JSON-RPC client over HTTP with batches, for `interlock record`.

Recording is a bulk read (logs in ranges, calls at every block), so it batches requests and
retries a failed batch a few times with backoff; an error reply raises `RpcFailure`.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

RETRIES = 4


class RpcFailure(Exception):
    """The node answered with an error, or could not be reached after retries."""


class Rpc:
    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise RpcFailure(f"`{url}`: record reads over HTTP(S) only")
        self.url, self.timeout_s, self._id = url, timeout_s, 0

    def _post(self, payload: object) -> Any:
        body = json.dumps(payload).encode()
        for attempt in range(RETRIES + 1):
            request = urllib.request.Request(self.url, body,
                                             {"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:
                    return json.loads(reply.read())
            except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
                if attempt == RETRIES:
                    raise RpcFailure(f"cannot reach {self.url}: {err}") from None
                time.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """The results of `calls`, in order; raises on any error reply."""
        out = self.batch_results(calls)
        for reply in out:
            if isinstance(reply, RpcFailure):
                raise reply
        return out

    def batch_results(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """The results of `calls`, in order, an error reply as an `RpcFailure` in its place
        (a reverting `eth_call` of a custom read is a value to record, not a failure)."""
        if not calls:
            return []
        payload = []
        for method, params in calls:
            self._id += 1
            payload.append({"jsonrpc": "2.0", "id": self._id, "method": method,
                            "params": params})
        replies = self._post(payload)
        if not isinstance(replies, list):
            raise RpcFailure(f"the node refused a batch: {replies}")
        by_id = {r.get("id"): r for r in replies}
        out = []
        for request in payload:
            reply = by_id.get(request["id"], {})
            if "error" in reply or "result" not in reply:
                out.append(RpcFailure(f"{request['method']}: {reply.get('error', 'no reply')}"))
            else:
                out.append(reply["result"])
        return out

    def call(self, method: str, params: list[Any]) -> Any:
        return self.batch([(method, params)])[0]
