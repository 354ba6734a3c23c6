"""Domain errors know no HTTP: one table in `api/errors.py` gives each its status."""

from __future__ import annotations

import inspect

from repovault.api.errors import STATUSES, status_of
from repovault.common import errors
from repovault.common.errors import Conflict, NotFound, ServiceError, TooManyRequests


def test_every_domain_error_class_has_its_own_status() -> None:
    classes = {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, ServiceError)
    }
    assert classes == set(STATUSES)
    assert not any(hasattr(cls, "status") for cls in classes)


def test_a_subclass_takes_its_nearest_status() -> None:
    class Gone(NotFound):
        pass

    assert status_of(Gone("X1", "gone")) == (404, "Not found")
    assert status_of(Conflict("X2", "busy"))[0] == 409
    assert status_of(TooManyRequests("X3", "slow", retry_after=1))[0] == 429
