from django.apps import AppConfig


class OlaConfig(AppConfig):
    name = "andon.ola"
    label = "ola"

    def ready(self):
        from andon.ola import engine, tasks
        from andon.tickets import events

        engine.use_step_tasks(step=tasks.schedule_step, chunk=tasks.ola_steps_task)

        # In the change's transaction: timers start, pause and stop with the change itself.
        events.subscribe("ola", engine.on_ticket_event, phase=events.IN_TRANSACTION)
