"""Dramatiq: one queue per worker, and messages that carry only a task id.

The broker is chosen by `REPOVAULT_BROKER_URL`: empty is Dramatiq's in-process broker (the
embedded default, whose lost messages the reconciler re-sends after a restart), `amqp://`
RabbitMQ, `redis://` Redis. Dramatiq's own retries and time limits are off: the task row
decides retries, and a backup may run for hours.
"""

from __future__ import annotations

from collections.abc import Callable

import dramatiq
import structlog
from dramatiq.broker import Broker
from dramatiq.brokers.stub import StubBroker

log = structlog.get_logger(__name__)

ACTOR_NAME = "repovault_run_task"


def queue_of(worker_id: str) -> str:
    """The queue of one worker (Dramatiq queue names: letters, digits, `-`, `_`, `.`)."""
    return f"repovault-worker-{worker_id}"


def make_broker(url: str) -> Broker:
    if not url:
        return StubBroker(middleware=[])
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url, middleware=[], confirm_delivery=True)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url, middleware=[])  # type: ignore[no-untyped-call]
    raise ValueError(f"REPOVAULT_BROKER_URL: unsupported scheme in {url!r} (amqp:// or redis://)")


class Dispatcher:
    """Sends task ids to their worker's queue, and runs a worker on one queue."""

    def __init__(self, url: str, run: Callable[[str], None] | None = None) -> None:
        self.url = url
        self.broker = make_broker(url)
        self._run = run
        self.actor: dramatiq.Actor[[str], None] = dramatiq.Actor(
            self._execute,
            broker=self.broker,
            actor_name=ACTOR_NAME,
            queue_name="default",
            priority=0,
            options={},
        )
        self._declared: set[str] = set()
        self._worker: dramatiq.Worker | None = None

    @property
    def in_process(self) -> bool:
        return not self.url

    def _execute(self, task_id: str) -> None:
        if self._run is None:
            log.error("a task message reached a process that runs no worker", task_id=task_id)
            return
        self._run(task_id)

    def send(self, task_id: str, worker_id: str) -> None:
        queue = queue_of(worker_id)
        if queue not in self._declared:
            self.broker.declare_queue(queue)
            self._declared.add(queue)
        message = self.actor.message_with_options(args=(task_id,)).copy(queue_name=queue)
        self.broker.enqueue(message)

    def start_worker(self, worker_id: str, *, threads: int, poll_ms: int = 100) -> None:
        queue = queue_of(worker_id)
        self.broker.declare_queue(queue)
        self._declared.add(queue)
        self._worker = dramatiq.Worker(
            self.broker, queues={queue}, worker_threads=threads, worker_timeout=poll_ms
        )
        self._worker.start()
        log.info("worker consuming", queue=queue, threads=threads, broker=self.kind)

    @property
    def kind(self) -> str:
        return self.url.split(":", 1)[0] if self.url else "in-process"

    def stop(self, timeout_ms: int = 5000) -> None:
        if self._worker is not None:
            self._worker.stop(timeout=timeout_ms)
            self._worker = None
        self.broker.close()
