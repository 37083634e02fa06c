"""Worker task lines carry an id: while a task runs in `andon worker`, its Huey task id is the
line's request_id and its name the line's task. A task run inline inside a request (HUEY
immediate mode) keeps the request's id."""

from huey.contrib.djhuey import HUEY
from huey.signals import SIGNAL_EXECUTING

from andon.ops.logs import request_id_var, task_var


@HUEY.signal()
def _task_context(signal, task, *args, **kwargs) -> None:
    if signal == SIGNAL_EXECUTING:
        if not request_id_var.get() or task_var.get():
            request_id_var.set(f"task-{task.id}")
            task_var.set(task.name)
    elif task_var.get():
        # Any other signal ends (or retries) the task: the thread's next lines are its own.
        request_id_var.set("")
        task_var.set("")
