"""What runs inside a worker process, apart from the task rows that describe the work.

    loop.py      the task system of one process: the scheduler/reconciler/dispatch loop of a
                 coordinator and the Dramatiq worker of a worker (`TaskSystem`)
    process.py   the server's own worker in a child process (`REPOVAULT_WORKER_MODE=process`)
    execute.py   one task: claim, heartbeat, the kind's job, finish (retry or end)
    errors.py    whether a failed attempt is worth another (`is_permanent`)
    jobs.py      what each task kind does: backup, restore, verify, sync, prune
    actions.py   a plan's custom actions around a backup

`repovault.tasks` owns the rows (claim, heartbeat, finish, runs, scheduling, dispatch); this
package uses it, never the other way round.
"""
