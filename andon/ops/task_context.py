"""Worker task lines carry an id. A task enqueued while a request (or another task) runs takes
that request's id as the prefix of its Huey task id, so `grep <request_id>` finds the request's
lines and the lines of every task it caused, in whichever worker they ran. A task with no such
origin (periodic jobs, the sweeper) gets `task-<task id>`. While a task runs, its name is the
line's `task`. A task run inline inside a request (HUEY immediate mode) keeps the request's id."""

from huey.contrib.djhuey import HUEY
from huey.signals import SIGNAL_ENQUEUED, SIGNAL_EXECUTING

from andon.ops.logs import request_id_var, task_var

# Request ids are 1-64 characters of [A-Za-z0-9._:-] (ops.middleware); "~" never occurs in them
# nor in a uuid, so it separates the origin from the task's own id without ambiguity.
_ORIGIN_SEPARATOR = "~"


def origin_of(task_id: str) -> str:
    origin, separator, _ = task_id.rpartition(_ORIGIN_SEPARATOR)
    return origin if separator else ""


@HUEY.signal()
def _task_context(signal, task, *args, **kwargs) -> None:
    if signal == SIGNAL_ENQUEUED:
        origin = request_id_var.get()
        if origin and not origin_of(task.id):
            task.id = f"{origin}{_ORIGIN_SEPARATOR}{task.id}"
            task.revoke_id = f"r:{task.id}"
    elif signal == SIGNAL_EXECUTING:
        if not request_id_var.get() or task_var.get():
            request_id_var.set(origin_of(task.id) or f"task-{task.id}")
            task_var.set(task.name)
    elif task_var.get():
        # Any other signal ends (or retries) the task: the thread's next lines are its own.
        request_id_var.set("")
        task_var.set("")
