"""Exports of the report: the current view (every table of the page) and the raw ticket list, as
CSV or XLSX. The ticket list is streamed from a server-side cursor in chunks (`iterator`), so a
million rows never sit in memory: CSV goes out row by row, XLSX is written by openpyxl's
write-only workbook to a temporary file that is then streamed."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.reports import selectors
from andon.reports.scope import ReportFilters, created_in_range, scoped_tickets
from andon.tickets.models import Channel, Priority, Status, format_number

CHUNK_SIZE = 2000
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Plain values for spreadsheets: aware datetimes in local time (Excel has no zones), and
    text that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# --- tables ----------------------------------------------------------------------------------


def _percent(value):
    return None if value is None else round(value * 100, 2)


def _local_text(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def view_tables(report: dict) -> list[tuple[str, list[str], list[list]]]:
    """The page's numbers as (title, header, rows) tables."""
    s = report["summary"]
    summary_rows = [
        [_("开始日期"), s["from"]],
        [_("结束日期"), s["to"]],
        [_("统计截至"), _local_text(s["as_of"])],
        [_("新建"), s["created"]],
        [_("已解决"), s["resolved"]],
        [_("期末积压"), s["backlog"]],
        [_("催单次数"), s["urges"]],
        [_("重开工单"), s["reopened"]],
        [_("重开率（%）"), _percent(s["reopen_rate"])],
        [_("响应达成"), s["response_met"]],
        [_("响应超时"), s["response_breached"]],
        [_("响应达成率（%）"), _percent(s["response_met_rate"])],
        [_("解决达成"), s["resolution_met"]],
        [_("解决超时"), s["resolution_breached"]],
        [_("解决达成率（%）"), _percent(s["resolution_met_rate"])],
        [_("平均响应（秒，工作时间）"), s["mean_response_seconds"]],
        [_("响应 P50（秒）"), s["p50_response_seconds"]],
        [_("响应 P90（秒）"), s["p90_response_seconds"]],
        [_("平均解决（秒，工作时间）"), s["mean_resolution_seconds"]],
        [_("解决 P50（秒）"), s["p50_resolution_seconds"]],
        [_("解决 P90（秒）"), s["p90_resolution_seconds"]],
    ]
    tables = [(_("概览"), [_("指标"), _("数值")], summary_rows)]
    tables.append(
        (
            _("趋势"),
            [_("日期"), _("新建"), _("已解决"), _("积压"), _("催单"), _("重开")],
            [
                [d["date"], d["created"], d["resolved"], d["backlog"], d["urges"], d["reopened"]]
                for d in report["series"]
            ],
        )
    )
    breakdown_header = [
        _("新建"),
        _("已解决"),
        _("积压"),
        _("催单"),
        _("重开率（%）"),
        _("响应达成率（%）"),
        _("解决达成率（%）"),
        _("平均响应（秒）"),
        _("平均解决（秒）"),
    ]

    def breakdown_rows(rows):
        return [
            [
                r["name"],
                r["created"],
                r["resolved"],
                r["backlog"],
                r["urges"],
                _percent(r["reopen_rate"]),
                _percent(r["response_met_rate"]),
                _percent(r["resolution_met_rate"]),
                r["mean_response_seconds"],
                r["mean_resolution_seconds"],
            ]
            for r in rows
        ]

    tables.append((_("按队列"), [_("队列"), *breakdown_header], breakdown_rows(report["by_queue"])))
    tables.append(
        (_("按优先级"), [_("优先级"), *breakdown_header], breakdown_rows(report["by_priority"]))
    )
    tables.append(
        (_("按处理人"), [_("处理人"), *breakdown_header], breakdown_rows(report["by_handler"]))
    )
    tables.append(
        (
            _("热门服务目录"),
            [_("服务目录"), _("新建"), _("已解决"), _("催单"), _("占比（%）")],
            [
                [r["name"], r["created"], r["resolved"], r["urges"], _percent(r["share"])]
                for r in report["top_catalog"]
            ],
        )
    )
    risk = report["at_risk"]
    risk_header = [_("工单"), _("标题"), _("优先级"), _("队列"), _("处理人"), _("目标")]
    tables.append(
        (
            _("即将超时"),
            [*risk_header, _("到期时间")],
            [_risk_row(r) + [r["due_at"]] for r in risk["due_soon_list"]],
        )
    )
    tables.append(
        (
            _("已超时"),
            [*risk_header, _("超时时间")],
            [_risk_row(r) + [r["breached_at"]] for r in risk["breached_list"]],
        )
    )
    return tables


def _risk_row(r) -> list:
    metric = _("响应") if r["metric"] == "response" else _("解决")
    return [r["number"], r["title"], r["priority"], r["queue"], r["assignee"], metric]


TICKET_COLUMNS = (
    "id",
    "title",
    "status",
    "priority",
    "queue__name",
    "catalog_entry__parent__name",
    "catalog_entry__name",
    "assignee__display_name",
    "assignee__username",
    "channel",
    "urge_count",
    "reopen_count",
    "created_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
)


def ticket_header() -> list[str]:
    return [
        _("编号"),
        _("标题"),
        _("状态"),
        _("优先级"),
        _("队列"),
        _("一级目录"),
        _("二级目录"),
        _("处理人"),
        _("渠道"),
        _("催单次数"),
        _("重开次数"),
        _("创建时间"),
        _("首次响应"),
        _("解决时间"),
        _("关闭时间"),
    ]


def ticket_rows(scope, f: ReportFilters) -> Iterator[list]:
    """The tickets created in the range, oldest first, read in chunks."""
    statuses, priorities, channels = (
        dict(Status.choices),
        dict(Priority.choices),
        dict(Channel.choices),
    )
    qs = created_in_range(scoped_tickets(scope, f), f).order_by("id").values_list(*TICKET_COLUMNS)
    for row in qs.iterator(chunk_size=CHUNK_SIZE):
        (
            pk,
            title,
            status,
            priority,
            queue,
            parent,
            entry,
            assignee_name,
            assignee_username,
            channel,
            urges,
            reopens,
            created_at,
            first_response_at,
            resolved_at,
            closed_at,
        ) = row
        yield [
            format_number(pk),
            title,
            str(statuses.get(status, status)),
            str(priorities.get(priority, priority)),
            queue or "",
            parent or "",
            entry,
            assignee_name or assignee_username or "",
            str(channels.get(channel, channel)),
            urges,
            reopens,
            created_at,
            first_response_at,
            resolved_at,
            closed_at,
        ]


# --- writers ---------------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def _csv_value(value):
    value = safe_cell(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else value


def _csv_lines(tables: Iterable[tuple[str, list[str], Iterable[list]]], titled: bool):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so Excel reads the file as UTF-8
    for index, (title, header, rows) in enumerate(tables):
        if titled:
            if index:
                yield writer.writerow([])
            yield writer.writerow([title])
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_csv_value(v) for v in row])


def csv_response(tables, filename: str, titled: bool = True) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(tables, titled), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(tables, filename: str) -> FileResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in tables:
        sheet = workbook.create_sheet(title=_sheet_title(title))
        sheet.append(header)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
    # Closed by FileResponse once sent; the file lives on disk, not in memory.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def _sheet_title(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, " ")
    return title[:31]


def export_response(kind: str, fmt: str, scope, form) -> StreamingHttpResponse | FileResponse:
    f = form.filters()
    stamp = f"{f.start:%Y%m%d}-{f.end:%Y%m%d}"
    if kind == "tickets":
        tables = [(_("工单"), ticket_header(), ticket_rows(scope, f))]
        name = f"andon-tickets-{stamp}.{fmt}"
        if fmt == "csv":
            return csv_response(tables, name, titled=False)
        return xlsx_response(tables, name)
    tables = view_tables(selectors.full_report(scope, f, hours=form.at_risk_hours))
    name = f"andon-report-{stamp}.{fmt}"
    if fmt == "csv":
        return csv_response(tables, name)
    return xlsx_response(tables, name)
