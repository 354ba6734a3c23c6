"""On the real server (`repovault serve`'s uvicorn configuration) a forged X-Forwarded-For
from the loopback peer does not change the client address that login throttling counts."""

from __future__ import annotations

import httpx

from repovault.runtime import Runtime


def test_a_forged_forwarded_for_does_not_escape_the_address_limit(
    server_url: str, runtime: Runtime
) -> None:
    runtime.settings.login_max_failures_per_address = 4
    statuses = []
    with httpx.Client(base_url=server_url, timeout=10) as http:
        for i in range(5):
            response = http.post(
                "/account/login",
                json={"email": f"guess-{i}@company.com", "password": "wrong-password"},
                headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
            )
            statuses.append(response.status_code)
    assert statuses == [401] * 4 + [429]
