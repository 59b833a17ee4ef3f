"""The few sentences a period's report opens with, written from its own figures: the dossiers received
against the previous period, the rates that moved most for the better and for the worse (each by its own
direction: a fall in the late rate is for the better), the communes newly below a target, and the state of
the data checks. Every number is one the report's tables print."""

from __future__ import annotations

from pipelines.core.vietnamese import format_number, format_percent, period_label
from pipelines.reports.model import KEY_RATES, PeriodReport, ProvinceLine
from pipelines.reports.text import change_text, lower_first

MOVES_SHOWN = 3


def summary_points(report: PeriodReport) -> list[str]:
    points = []
    previous = lower_first(period_label(report.previous_period_key)) if report.previous_period_key else None
    lines = {line.indicator.code: line for line in report.province}
    received = lines.get("DOS_RECEIVED")
    if received is not None and received.figure.value is not None:
        text = f"Toàn tỉnh tiếp nhận {format_number(received.figure.value)} hồ sơ thủ tục hành chính"
        if previous and received.previous == received.figure.value:
            text += f", bằng {previous}"
        elif previous and received.previous is not None:
            change = change_text(received.indicator, received.figure.value, received.previous)
            text += f", {change} so với {previous} ({format_number(received.previous)} hồ sơ)"
        points.append(text + ".")
    if previous is None:
        points.append("Chưa có số liệu kỳ trước để so sánh.")
    else:
        moves = rate_moves(report.province)
        better = [line for gain, line in moves if gain > 0][:MOVES_SHOWN]
        worse = [line for gain, line in reversed(moves) if gain < 0][:MOVES_SHOWN]
        for title, chosen in (("Chuyển biến tốt nhất", better), ("Chuyển biến kém nhất", worse)):
            if chosen:
                points.append(f"{title} so với {previous}: " + "; ".join(map(_move_text, chosen)) + ".")
        if not moves:
            points.append(f"Các tỷ lệ toàn tỉnh không thay đổi so với {previous}.")
    for indicator_name, names in newly_below_target(report):
        points.append(f"Mới chưa đạt chỉ tiêu «{indicator_name}» (kỳ trước đạt): {', '.join(names)}.")
    errors = sum(1 for f in report.findings if f.severity == "error")
    quality = (
        f"Kiểm tra số liệu: còn {format_number(errors)} lỗi và "
        f"{format_number(len(report.findings) - errors)} cảnh báo chưa xử lý"
    )
    if report.withheld_communes:
        quality += f"; {format_number(len(report.withheld_communes))} đơn vị có số liệu bị tạm giữ"
    points.append(quality + ".")
    return points


def rate_moves(province: tuple[ProvinceLine, ...]) -> list[tuple[float, ProvinceLine]]:
    """(gain, line) of each province rate with a direction whose printed value changed, best first. The
    gain is the change in percentage points as printed (2 decimals), negated where lower is better."""
    moves = []
    for line in province:
        indicator = line.indicator
        if indicator.kind != "rate" or indicator.higher_is_better is None:
            continue
        if line.figure.value is None or line.previous is None:
            continue
        delta = round(round(line.figure.value, 2) - round(line.previous, 2), 2)
        if delta:
            moves.append((delta if indicator.higher_is_better else -delta, line))
    return sorted(moves, key=lambda m: (-m[0], m[1].indicator.code))


def _move_text(line: ProvinceLine) -> str:
    change = change_text(line.indicator, line.figure.value, line.previous)
    return (
        f"{lower_first(line.indicator.name)} {format_percent(line.previous)} → "
        f"{format_percent(line.figure.value)} ({change})"
    )


def newly_below_target(report: PeriodReport) -> list[tuple[str, list[str]]]:
    """(indicator, communes) for the key rates with a target: communes below it this quarter that met it
    the quarter before (only where the previous period is a quarter of the trend, with figures not held)."""
    if report.previous_period_key not in report.trend_quarters:
        return []
    before = report.trend_quarters.index(report.previous_period_key)
    out = []
    for indicator, missed in report.below_target():
        if indicator.code not in KEY_RATES:
            continue
        newly = []
        for item in missed:
            series = report.commune_trend.get(item.commune_id, {}).get(indicator.code)
            earlier = series[before] if series else None
            if earlier is not None and not earlier.withheld and indicator.meets_target(earlier.value):
                newly.append(item.name)
        if newly:
            out.append((indicator.name, newly))
    return out
