"""The dispatch to Dramatiq (`tasks/dispatch.py`) on its in-process broker: a task id goes to
its worker's queue only, and a worker runs what reaches its queue. (RabbitMQ and Redis:
tests/e2e/test_scale_out.py.)"""

from __future__ import annotations

import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.message import Message

from repovault.tasks.dispatch import Dispatcher, make_broker, queue_of


def test_each_worker_has_its_own_queue() -> None:
    assert queue_of("0b6f") == "repovault-worker-0b6f"


def test_the_broker_is_chosen_by_the_url_scheme() -> None:
    assert isinstance(make_broker(""), StubBroker)
    with pytest.raises(ValueError, match="unsupported scheme"):
        make_broker("kafka://localhost")


def test_send_puts_the_task_id_on_its_workers_queue_only() -> None:
    dispatcher = Dispatcher("")
    try:
        assert (dispatcher.in_process, dispatcher.kind) == (True, "in-process")
        dispatcher.send("task-1", "worker-a")
        dispatcher.send("task-2", "worker-b")
        dispatcher.send("task-3", "worker-a")
        broker = dispatcher.broker
        assert isinstance(broker, StubBroker)
        queue = broker.queues[queue_of("worker-a")]
        sent = [Message.decode(queue.get_nowait()) for _ in range(queue.qsize())]
        assert [m.args for m in sent] == [("task-1",), ("task-3",)]
        assert broker.queues[queue_of("worker-b")].qsize() == 1
    finally:
        dispatcher.stop()


def test_a_worker_runs_the_task_ids_sent_to_its_queue() -> None:
    ran: list[str] = []
    dispatcher = Dispatcher("", run=ran.append)
    dispatcher.start_worker("worker-a", threads=1, poll_ms=10)
    try:
        dispatcher.send("task-1", "worker-a")
        dispatcher.send("task-2", "worker-a")
        dispatcher.broker.join(queue_of("worker-a"), timeout=10_000)
    finally:
        dispatcher.stop()
    assert sorted(ran) == ["task-1", "task-2"]
