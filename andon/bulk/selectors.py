"""Reads of bulk jobs: a job is its starter's alone (anyone else gets not-found)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from andon.bulk.models import BulkJob
from andon.core.errors import NotFound
from andon.core.validation import parse_id


def get_own_job(user, job_id) -> BulkJob:
    pk = parse_id(job_id)
    job = (
        BulkJob.objects.filter(pk=pk, actor_id=user.pk).first()
        if pk and getattr(user, "is_authenticated", False)
        else None
    )
    if job is None:
        raise NotFound(_("批量任务不存在"))
    return job
