"""Operations: what the running processes report about themselves."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per worker process (`andon worker`), refreshed every few seconds by a thread in
    that process. Readiness and the configuration page read the newest `seen_at`: no row seen
    for a minute means no worker is taking tasks, so OLA alerts and notifications stop."""

    name = models.CharField(max_length=200, unique=True)  # "<host>:<pid>"
    hostname = models.CharField(max_length=150)
    pid = models.PositiveIntegerField()
    # Whether this worker schedules the periodic jobs (the one started without --no-periodic).
    periodic = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-seen_at"]
        indexes = [models.Index(fields=["seen_at"], name="ops_heartbeat_seen")]

    def __str__(self) -> str:
        return self.name
