"""HTTP to the platforms: one injected `httpx.Client`, rate limits honoured, errors mapped.

A rate-limited answer (429, or 403 with `X-RateLimit-Remaining: 0` or a secondary-limit
message) pauses for `Retry-After` seconds, else until `X-RateLimit-Reset`, else for a
minute doubling at each repeat, then retries; every pause is reported to the listener, and
only a limit that lasts beyond `max_pauses` gives up (`ProviderRateLimited`, not permanent).
Pages are followed through `Link: <...>; rel="next"` headers.

The organization's credential goes only to the platform's own hosts: `PlatformClient.trusts`
is the one rule, checked for every request and every redirect hop (redirects are followed
here, one hop at a time, never by httpx): the API's origin and the git host(s) the driver
names (`github.com` beside `api.github.com`) carry it; any other origin, a plain-http
downgrade of the same host included, gets the request without it.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import structlog

from repovault.providers.base import (
    PauseListener,
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
)

log = structlog.get_logger(__name__)

NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="?next"?')
SECONDARY = ("secondary rate limit", "abuse detection")
MAX_PAUSES = 8
DEFAULT_PAUSE = 60.0
MAX_REDIRECTS = 10
REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str | httpx.URL) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL, the port made explicit."""
    parsed = httpx.URL(url)
    scheme = parsed.scheme.lower()
    return scheme, parsed.host.lower(), parsed.port or DEFAULT_PORTS.get(scheme, 0)


def cloud_git_host(api_url: str, cloud_api: str, git_host: str) -> list[str]:
    """The git host of a cloud platform whose API lives on a host of its own (GitHub,
    Bitbucket Cloud); a server that serves both on one host needs none."""
    return [git_host] if origin(api_url) == origin(cloud_api) else []


def basic_or_bearer(username: str | None, token: str) -> dict[str, str]:
    """Basic with the username when there is one (app passwords), else a bearer token."""
    if username:
        pair = base64.b64encode(f"{username}:{token}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {"Authorization": f"Bearer {token}"}


def api_root(server: str, suffix: str) -> str:
    """The API's root under a server URL, whether or not the URL given already names it."""
    base = server.rstrip("/")
    return base if base.endswith(suffix) else base + suffix


def wiki_of(clone_url: str) -> str:
    """`.../name.wiki.git`: where GitHub, GitLab and Gitea keep a repository's wiki."""
    return clone_url.removesuffix(".git") + ".wiki.git"


def without_user(url: str) -> str:
    """A clone URL without the user name some platforms put in it (credentials travel apart)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.split('@', 1)[-1]}" if sep else url


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return "; ".join(str(e.get("message", "")) for e in errors if e.get("message"))
        for key in ("message", "error_description", "error", "errorMessage"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if value:
                return str(value)
    return response.reason_phrase


def rate_limit_pause(response: httpx.Response, attempt: int, now: float) -> float | None:
    """Seconds to wait when the response is a rate limit, else None."""
    status = response.status_code
    if status not in (403, 429):
        return None
    headers = response.headers
    remaining = headers.get("x-ratelimit-remaining")
    secondary = any(word in _message(response).lower() for word in SECONDARY)
    if status == 403 and remaining != "0" and not secondary and "retry-after" not in headers:
        return None  # a permission refusal, not a limit
    if "retry-after" in headers:
        try:
            return max(1.0, float(headers["retry-after"]))
        except ValueError:
            pass
    if remaining == "0" and headers.get("x-ratelimit-reset", "").isdigit():
        return max(1.0, float(headers["x-ratelimit-reset"]) - now + 1)
    return float(DEFAULT_PAUSE * (2**attempt))


Files = dict[str, tuple[str, BinaryIO, str]]  # multipart: field -> (file name, file, type)


def _rewind(content: bytes | BinaryIO | None, files: Files | None) -> None:
    """Files about to be sent (again) from their start."""
    if content is not None and not isinstance(content, bytes):
        content.seek(0)
    for _name, file, _type in (files or {}).values():
        file.seek(0)


class PlatformClient:
    def __init__(
        self,
        client: httpx.Client,
        *,
        base_url: str,
        headers: dict[str, str],
        platform: str,
        on_pause: PauseListener | None = None,
        sleep: Callable[[float], None] = time.sleep,
        credentials: list[dict[str, str]] | None = None,
        git_hosts: Iterable[str] = (),
        fresh: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        # The only origins the credential may reach: the API's and the platform's git hosts.
        self.trusted = {origin(self.base_url), *(origin(host) for host in git_hosts)}
        self.headers = headers
        self.platform = platform
        self.on_pause = on_pause
        self.sleep = sleep
        # One header set per token: a rate-limited token gives way to the next one.
        self.credentials = credentials or [{}]
        # A credential that expires (a GitHub App's installation token): asked per request.
        self.fresh = fresh
        self.current = 0
        self.limited_until = [0.0] * len(self.credentials)

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base_url + path

    def trusts(self, url: str | httpx.URL) -> bool:
        """Whether a request to `url` may carry the organization's credential."""
        return origin(url) in self.trusted

    def require_trusted(self, url: str, what: str) -> str:
        """`url`, a place the platform named for a write (a clone URL to push to, an upload
        URL), when the credential may go there; anywhere else is refused, never written to."""
        if self.trusts(url):
            return url
        raise ProviderError(
            f"{self.platform} named a {what} on another host ({httpx.URL(url).host}, API at "
            f"{httpx.URL(self.base_url).host}): nothing sent there",
            permanent=True,
        )

    def _headers(self, url: httpx.URL, extra: dict[str, str] | None) -> dict[str, str]:
        """The headers of one request: the credential only for the platform's own hosts."""
        if self.trusts(url):
            credential = self.fresh() if self.fresh else self.credentials[self.current]
            return {**self.headers, **credential, **(extra or {})}
        log.debug("credential withheld", platform=self.platform, host=url.host)
        return {**self.headers, **(extra or {})}

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        stream: bool = False,
        content: bytes | BinaryIO | None = None,
        files: Files | None = None,
    ) -> httpx.Response:
        """One request with its redirects, each hop sent (with or without the credential)
        on its own origin's merit."""
        request = self.client.build_request(
            method, url, params=params, json=body, content=content, files=files
        )
        for _ in range(MAX_REDIRECTS + 1):
            request.headers.update(self._headers(request.url, headers))
            response = self.client.send(request, stream=stream, follow_redirects=False)
            location = response.headers.get("location")
            if response.status_code not in REDIRECTS or not location:
                return response
            response.close()
            target = request.url.join(location)
            keep = response.status_code in (307, 308)  # same method and body
            method = request.method if keep or request.method == "HEAD" else "GET"
            same = keep and method == request.method
            if same:
                _rewind(content, files)
            request = self.client.build_request(
                method,
                target,
                json=body if same else None,
                content=content if same else None,
                files=files if same else None,
            )
        raise ProviderError(f"{self.platform}: more than {MAX_REDIRECTS} redirects from {url}")

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self.send("GET", path, params=params, headers=headers)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        content: bytes | BinaryIO | None = None,
        files: Files | None = None,
    ) -> httpx.Response:
        """One request (a JSON `body` for writes, or raw `content`, or multipart `files`: a
        release asset, read from its file in chunks, from its start again on a retry), rate
        limits honoured, errors mapped."""
        url = self.url(path)
        attempt = 0
        while True:
            _rewind(content, files)  # a retry sends the file from its start again
            try:
                response = self._request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    body=body,
                    content=content,
                    files=files,
                )
            except httpx.HTTPError as exc:
                raise ProviderError(f"{self.platform} is unreachable: {exc}") from exc
            now = time.time()
            pause = rate_limit_pause(response, attempt, now)
            if pause is None:
                return self._checked(response)
            self.limited_until[self.current] = now + pause
            free = [i for i, until in enumerate(self.limited_until) if until <= now]
            if free:  # another token is not limited: carry on with it at once
                log.info("rate limited, switching credentials", platform=self.platform, to=free[0])
                self.current = free[0]
                continue
            reason = f"{self.platform} rate limit ({response.status_code}): {_message(response)}"
            if attempt == MAX_PAUSES:
                raise ProviderRateLimited(reason, retry_after=pause)
            wait = min(self.limited_until) - now
            log.warning("rate limited, pausing", platform=self.platform, seconds=wait, url=url)
            if self.on_pause:
                self.on_pause(wait, reason)
            self.sleep(wait)
            self.current = self.limited_until.index(min(self.limited_until))
            attempt += 1

    def _checked(self, response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        if response.status_code == 410:  # GitHub: the feature is disabled for the repository
            raise ProviderNotFound(f"{self.platform} answered 410: {_message(response)}")
        message = f"{self.platform} answered {response.status_code}: {_message(response)}"
        if response.status_code in (401, 403):
            raise ProviderAuthError(message)
        if response.status_code == 404:
            raise ProviderNotFound(message)
        raise ProviderError(message, permanent=response.status_code < 500)

    def body_pages(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        items: str = "values",
        next_key: str = "next",
    ) -> Iterator[Any]:
        """Every item of a list endpoint that names its next page in the body (Bitbucket)."""
        url: str | None = path
        while url is not None:
            body = self.get(url, params).json()
            params = None
            if not isinstance(body, dict) or not isinstance(body.get(items), list):
                raise ProviderError(f"{self.platform}: expected a page of {items!r} from {url}")
            yield from body[items]
            following = body.get(next_key)
            url = following if isinstance(following, str) and following else None

    def download(self, path: str, target: Path, headers: dict[str, str] | None = None) -> None:
        """Stream a file (a release asset) to `target`, atomically; redirects are followed
        (the credential only to the platform's own hosts)."""
        partial = target.with_suffix(".partial")
        try:
            response = self._request("GET", self.url(path), headers=headers, stream=True)
            try:
                if response.status_code >= 400:
                    response.read()
                    self._checked(response)
                with partial.open("wb") as out:
                    for block in response.iter_bytes(1 << 20):
                        out.write(block)
            finally:
                response.close()
        except httpx.HTTPError as exc:
            partial.unlink(missing_ok=True)
            raise ProviderError(f"{self.platform}: download failed: {exc}") from exc
        partial.replace(target)

    def org_or_user(self, org_path: str, user_path: str, name: str) -> str:
        """ "org" or "user": which kind of account `name` is (GitHub-style APIs)."""
        try:
            self.get(org_path)
        except ProviderNotFound:
            try:
                self.get(user_path)
            except ProviderNotFound as exc:
                raise ProviderNotFound(
                    f"{self.platform} has no organization or user {name!r}"
                ) from exc
            return "user"
        return "org"

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a list endpoint, following `Link: rel="next"`."""
        url: str | None = path
        while url is not None:
            response = self.get(url, params)
            params = None  # the next link carries them
            items = response.json()
            if not isinstance(items, list):
                raise ProviderError(f"{self.platform}: expected a list from {url}")
            yield from items
            found = NEXT_LINK.search(response.headers.get("link", ""))
            url = found.group(1) if found else None
