"""Structured logs: JSON lines on stderr, one event each, with its context bound."""

from __future__ import annotations

import logging
import sys

import structlog

_level = logging.INFO


def configured_level() -> int:
    """The level of the last `configure_logging` (a worker child process logs at it too)."""
    return _level


def configure_logging(level: int = logging.INFO) -> None:
    global _level
    _level = level
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Resolved at each use: stderr may be replaced (test runners, daemonising).
        logger_factory=lambda *_args: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
