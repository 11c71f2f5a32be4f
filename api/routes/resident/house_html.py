"""The house sections of the resident's home page, as HTML: this week's chores, meetings this
week (with the form to report one), passes (with the form to ask for one) and today's check-in.

Plain words, a label on every input, errors named by the field's label next to the form and
the field marked `aria-invalid`. A resident who does not live in a house now sees "not
available" in each section instead of a form.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from api.routes.resident import render
from core.enums import ChoreStatus, PassStatus, PassType
from services.resident import house

CHORE_WORDS = {
    ChoreStatus.ASSIGNED: "To do",
    ChoreStatus.COMPLETED: "Done",
    ChoreStatus.VERIFIED: "Checked by staff",
    ChoreStatus.MISSED: "Missed",
    ChoreStatus.EXCUSED: "Excused",
}
PASS_WORDS = {
    PassStatus.REQUESTED: "Waiting for staff",
    PassStatus.APPROVED: "Approved",
    PassStatus.DENIED: "Not approved",
    PassStatus.ACTIVE: "You are out",
    PassStatus.COMPLETED: "Done",
    PassStatus.VIOLATED: "Late back",
}
PASS_TYPE_WORDS = {
    PassType.DAY: "Day pass",
    PassType.OVERNIGHT: "Overnight pass",
    PassType.WEEKEND: "Weekend pass",
    PassType.EXTENDED: "Long pass",
}
NOT_AVAILABLE = '<p class="muted">Not available: you do not live in one of our houses right now.</p>'


@dataclass(frozen=True)
class Form:
    """A form sent back with a problem: which form, the field at fault, the message, and what
    the resident typed (shown again so nothing is lost)."""

    name: str  # "pass", "meeting", "check-in"
    field: str
    message: str
    values: dict[str, str] = dataclasses.field(default_factory=dict)


def clock(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def when(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{local:%a %b} {local.day}, {clock(at, zone)}"


def _error(form: Form | None, name: str) -> str:
    if form is None or form.name != name:
        return ""
    return f'<p class="error" role="alert" id="{name}-error">{escape(form.message)}</p>'


def _attrs(form: Form | None, name: str, fld: str) -> str:
    """Marks the field at fault for screen readers and points it at the message."""
    if form is not None and form.name == name and form.field == fld:
        return f' aria-invalid="true" aria-describedby="{name}-error"'
    return ""


def _group(form: Form | None, name: str, fld: str) -> str:
    """A group of choices (a fieldset) at fault points at the message; `aria-invalid` belongs
    to the inputs, not to a group."""
    if form is not None and form.name == name and form.field == fld:
        return f' aria-describedby="{name}-error"'
    return ""


def _value(form: Form | None, name: str, fld: str, default: str = "") -> str:
    if form is not None and form.name == name:
        return escape(form.values.get(fld, default))
    return escape(default)


def card(anchor: str, title: str, body: str) -> str:
    """One section of the home page, labelled by its heading (`#<anchor>-h` is its address)."""
    return (
        f'<section class="card" aria-labelledby="{anchor}-h">'
        f'<h2 id="{anchor}-h">{escape(title)}</h2>{body}</section>'
    )


def _first_upper(text: str) -> str:
    """ "AA meetings" stays AA ("Aa" from str.capitalize would not)."""
    return text[:1].upper() + text[1:]


def chores_card(w: house.Week) -> str:
    if not w.living:
        body = NOT_AVAILABLE
    elif w.chores:
        items = "".join(
            f'<li><span class="title">{escape(c.name)}</span>'
            f'<span class="due">{c.due_date:%A}</span>'
            f'<span class="status status-{c.status.value}">{CHORE_WORDS[c.status]}</span></li>'
            for c in w.chores
        )
        body = f'<ul class="rows" id="chores">{items}</ul>'
    else:
        body = "<p>No chores for you this week.</p>"
    return card("chores", "This week's chores", body)


def meetings_card(w: house.Week, csrf: str, form: Form | None) -> str:
    if not w.living:
        return card("meetings", "Meetings this week", NOT_AVAILABLE)
    if w.needs:
        items = "".join(
            f"<li><strong>{n.attended} of {n.required}</strong> {escape(n.label)}"
            + (' <span class="ok">Done</span>' if n.attended >= n.required else "")
            + "</li>"
            for n in w.needs
        )
        progress = f'<ul class="rows" id="meeting-progress">{items}</ul>'
    else:
        progress = "<p>No meetings are asked of you this week.</p>"
    waiting = (
        f'<p class="muted" id="meetings-waiting">{w.waiting_reports} you told us about '
        "wait for staff to confirm them. They count once staff confirm.</p>"
        if w.waiting_reports
        else ""
    )
    kinds = "".join(
        f'<option value="{k.value}"'
        + (" selected" if _value(form, "meeting", "kind") == k.value else "")
        + f">{escape(_first_upper(house.KIND_WORDS[k]))}</option>"
        for k in house.SELF_REPORT_KINDS
    )
    day = _value(form, "meeting", "day", w.today.isoformat())
    report = (
        f'<form method="post" action="/me/meetings" id="meeting-form">{render.hidden_csrf(csrf)}'
        "<h3>Tell us about a meeting you went to</h3>"
        f"{_error(form, 'meeting')}"
        '<label for="meeting-kind">Kind of meeting</label>'
        f'<select id="meeting-kind" name="kind"{_attrs(form, "meeting", "kind")}>{kinds}</select>'
        '<label for="meeting-day">Day you went</label>'
        f'<input id="meeting-day" name="day" type="date" required value="{day}"'
        f"{_attrs(form, 'meeting', 'day')}>"
        '<label for="meeting-name">Name of the meeting (if you know it)</label>'
        f'<input id="meeting-name" name="name" type="text" maxlength="200" '
        f'value="{_value(form, "meeting", "name")}"{_attrs(form, "meeting", "name")}>'
        '<button type="submit" class="wide" id="report-meeting">Send to staff</button></form>'
    )
    return card("meetings", "Meetings this week", f"{progress}{waiting}{report}")


def pass_list(w: house.Week) -> str:
    if not w.passes:
        return "<p>You have no passes yet.</p>"
    items = "".join(
        f'<li><a href="/me/passes/{p.pass_id}"><span class="title">{PASS_TYPE_WORDS[p.pass_type]}, '
        f"{when(p.departs_at, w.zone)}</span>"
        f'<span class="badge status-{p.status.value}">{PASS_WORDS[p.status]}</span></a></li>'
        for p in w.passes
    )
    return f'<ul class="list" id="passes">{items}</ul>'


def passes_card(w: house.Week, csrf: str, form: Form | None, key: uuid.UUID) -> str:
    if not w.living:
        return card("passes", "Passes", f"{pass_list(w)}{NOT_AVAILABLE}")
    chosen = _value(form, "pass", "pass_type", PassType.DAY.value)
    kinds = "".join(
        f'<label><input type="radio" name="pass_type" value="{t.value}"'
        + (" checked" if chosen == t.value else "")
        + f"> {PASS_TYPE_WORDS[t]}</label>"
        for t in house.RESIDENT_PASS_TYPES
    )
    tomorrow = (w.today + timedelta(days=1)).isoformat()

    def box(fld: str, label: str, kind: str, default: str = "", extra: str = "") -> str:
        return (
            f'<label for="pass-{fld}">{label}</label>'
            f'<input id="pass-{fld}" name="{fld}" type="{kind}" value="{_value(form, "pass", fld, default)}"'
            f"{extra}{_attrs(form, 'pass', fld)}>"
        )

    ask = (
        f'<form method="post" action="/me/passes" id="pass-form">{render.hidden_csrf(csrf)}'
        f'<input type="hidden" name="key" value="{key}">'
        "<h3>Ask for a pass</h3><p>Staff will say yes or no. You will see it here.</p>"
        f"{_error(form, 'pass')}"
        f"<fieldset{_group(form, 'pass', 'pass_type')}><legend>Kind of pass</legend>{kinds}</fieldset>"
        + box("leave_day", "Day you leave", "date", tomorrow, " required")
        + box("leave_time", "Time you leave", "time", "10:00", " required")
        + box("back_day", "Day you come back", "date", tomorrow, " required")
        + box("back_time", "Back by (time)", "time", "18:00", " required")
        + box("destination", "Where you will be", "text", "", ' required maxlength="200"')
        + box("reason", "Why (you can leave this empty)", "text", "", ' maxlength="500"')
        + '<button type="submit" class="wide" id="ask-pass">Ask for this pass</button></form>'
    )
    return card("passes", "Passes", f"{pass_list(w)}{ask}")


def check_in_card(w: house.Week, csrf: str, form: Form | None) -> str:
    if not w.living:
        return card("check-in", "Check in", NOT_AVAILABLE)
    if w.daily_at is not None:
        daily = f'<p class="ok" id="checked-in">You checked in today at {clock(w.daily_at, w.zone)}.</p>'
    else:
        daily = (
            f'<form method="post" action="/me/check-in" id="check-in-form">{render.hidden_csrf(csrf)}'
            f"{_error(form, 'check-in')}"
            '<label for="check-in-note">Note for staff (you can leave this empty)</label>'
            f'<textarea id="check-in-note" name="note" maxlength="2000"'
            f"{_attrs(form, 'check-in', 'note')}>{_value(form, 'check-in', 'note')}</textarea>"
            '<button type="submit" class="wide" id="check-in">Check in for today</button></form>'
        )
    if w.curfew_due is None:
        night = ""
    elif w.curfew_at is not None:
        night = (
            f'<p class="ok" id="home-tonight">You are home for the night '
            f"(checked in at {clock(w.curfew_at, w.zone)}).</p>"
        )
    else:
        night = (
            f'<p>Curfew tonight: <strong id="curfew-due">{clock(w.curfew_due, w.zone)}</strong>.</p>'
            f'<form method="post" action="/me/curfew">{render.hidden_csrf(csrf)}'
            f"{_error(form, 'curfew')}"
            '<button type="submit" class="wide secondary" id="home-now">I am home for the night</button>'
            "</form>"
        )
    return card("check-in", "Check in", f"{daily}{night}")


def sections(w: house.Week, csrf: str, form: Form | None, key: uuid.UUID) -> str:
    # Without a house there is no form to show the message next to: it goes above the sections.
    refused = (
        f'<p class="error" role="alert" id="form-error">{escape(form.message)}</p>'
        if form is not None and (not w.living or (form.name == "curfew" and w.curfew_due is None))
        else ""
    )
    return (
        refused
        + check_in_card(w, csrf, form)
        + chores_card(w)
        + meetings_card(w, csrf, form)
        + passes_card(w, csrf, form, key)
    )


def pass_page(p: house.PassRow, zone: ZoneInfo) -> str:
    rows = [
        ("Kind", PASS_TYPE_WORDS[p.pass_type]),
        ("Status", PASS_WORDS[p.status]),
        ("You leave", when(p.departs_at, zone)),
        ("Back by", when(p.returns_at, zone)),
        ("Where", p.destination or ""),
    ]
    if p.conditions:
        rows.append(("What staff ask", p.conditions))
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return (
        f"<h1>{PASS_TYPE_WORDS[p.pass_type]}</h1>"
        f'<section class="card"><dl class="facts" id="pass">{items}</dl></section>'
        '<p><a class="button secondary" href="/me#passes-h">Back to home</a></p>'
    )
