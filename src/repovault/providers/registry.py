"""Drivers by organization driver number (see the conventions)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from repovault.providers.azure import AzureDevOpsDriver
from repovault.providers.base import Access, Driver, PauseListener, UnsupportedDriver
from repovault.providers.bitbucket import BitbucketDriver
from repovault.providers.bitbucket_server import BitbucketServerDriver, is_data_center
from repovault.providers.generic import GitDriver
from repovault.providers.gitea import GiteaDriver
from repovault.providers.github import GitHubDriver
from repovault.providers.gitlab import GitLabDriver

Factory = Callable[[Access, httpx.Client, PauseListener | None], Driver]

DRIVERS: dict[int, Factory] = {
    1: GitHubDriver,
    2: lambda access, client, on_pause: (
        BitbucketServerDriver(access, client, on_pause)
        if is_data_center(access)
        else BitbucketDriver(access, client, on_pause)
    ),
    3: GitLabDriver,
    4: AzureDevOpsDriver,
    5: GiteaDriver,
    6: lambda access, _client, _on_pause: GitDriver(access),
}


def has_driver(driver: int) -> bool:
    return driver in DRIVERS


def driver_for(
    access: Access, client: httpx.Client, on_pause: PauseListener | None = None
) -> Driver:
    factory = DRIVERS.get(access.driver)
    if factory is None:
        raise UnsupportedDriver(access.driver)
    return factory(access, client, on_pause)
