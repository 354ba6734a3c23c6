"""A server's HTTP client for tests that write into a platform: the recorded fakes
(tests/providers/fake_platforms.py) for every host, and the real network for 127.0.0.1,
where the write-capable fake (tests/providers/fake_writable.py) listens."""

from __future__ import annotations

import dataclasses

import httpx

from repovault.config import Settings
from repovault.runtime import Runtime, build_runtime
from tests.providers.fake_platforms import Platforms


class Routed(httpx.BaseTransport):
    def __init__(self, platforms: Platforms) -> None:
        self.fakes = httpx.MockTransport(platforms.handler)
        self.real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        local = request.url.host == "127.0.0.1"
        return (self.real if local else self.fakes).handle_request(request)


def routed_runtime(settings: Settings, platforms: Platforms) -> Runtime:
    """The test runtime (as tests/conftest.py builds it) with the routed client."""
    built = build_runtime(settings)
    built.http.close()
    return dataclasses.replace(built, http=httpx.Client(transport=Routed(platforms)))
