"""Issue 12 §3: the organization's token goes only to its platform's own host: a clone URL
the platform names elsewhere is refused before any push."""

from __future__ import annotations

import json

import httpx
import pytest

from repovault.providers.base import ProviderError
from repovault.providers.http import PlatformClient
from repovault.providers.writes import GitHubStyleWriter, trusted_clone_url


@pytest.mark.parametrize(
    ("clone", "api"),
    [
        ("https://github.com/acme/app.git", "https://api.github.com"),
        ("https://ghe.example.com/acme/app.git", "https://ghe.example.com/api/v3"),
        ("https://gitea.example.com/acme/app.git", "https://gitea.example.com/api/v1"),
    ],
)
def test_the_platforms_own_host_is_trusted(clone: str, api: str) -> None:
    assert trusted_clone_url(clone, api) == clone


@pytest.mark.parametrize(
    ("clone", "api"),
    [
        ("https://evil.example.com/acme/app.git", "https://api.github.com"),
        ("https://github.com.evil.example/acme/app.git", "https://api.github.com"),
        ("https://github.com/acme/app.git", "https://ghe.example.com/api/v3"),
        ("http://gitea.example.com:8080/acme/app.git", "https://gitea.example.com/api/v1"),
    ],
)
def test_another_host_is_refused(clone: str, api: str) -> None:
    with pytest.raises(ProviderError, match="another host") as refused:
        trusted_clone_url(clone, api)
    assert refused.value.permanent


def test_a_created_repository_with_a_foreign_clone_url_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert json.loads(request.content) == {"name": "app", "description": "d", "private": True}
        clone = "https://elsewhere.example/acme/app.git"
        return httpx.Response(201, json={"full_name": "acme/app", "clone_url": clone})

    api = PlatformClient(
        httpx.Client(transport=httpx.MockTransport(answer)),
        base_url="https://api.github.com",
        headers={},
        platform="GitHub",
    )
    writer = GitHubStyleWriter(api, "acme", own_account=False, gitea=False, credentials=None)
    with pytest.raises(ProviderError, match=r"elsewhere\.example"):
        writer.create_repository("app", description="d", private=True)
