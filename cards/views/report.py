"""The report form's view models: each step, the summary before filing, the receipt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.config import School
from bot.forms import Section
from bot.models import Case, Recommendation, Urgency
from bot.policy import Policy
from cards.views.models import URGENCY_LABEL, ActionOption, Fact, FormView, ReceiptView, SummaryView


def _labels(policy: Policy, group: str, ids: Sequence[str], clause: bool = False) -> str:
    out = []
    for i in ids:
        o = policy.option(group, i)
        out.append(o.labelled if clause else o.label)
    return ", ".join(out)


def _apart(policy: Policy, fact_id: str) -> bool:
    return policy.option("facts", fact_id).asked_apart


def report_facts(policy: Policy, case_answers: Any, school: School | None) -> tuple[Fact, ...]:
    """The answers as label/value pairs, in the form's order; empty answers left out."""
    a = case_answers
    author = policy.option("relationships", a.author_relationship).label
    if a.author_name:
        author = f"{author}: {a.author_name}"
    categories = _labels(policy, "categories", a.categories, clause=True)
    if a.other_category:
        categories += f" ({a.other_category})"
    rows = [
        ("School", school.name if school else a.school_id),
        ("Where", policy.option("platforms", a.platform).label),
        ("Link", a.link),
        ("Seen on", f"{a.seen_on:%d %b %Y}"),
        ("What it says", a.post_text),
        ("Posted by", author),
        ("About", _labels(policy, "subjects", a.about)),
        ("Inappropriate because", categories),
        *((f.label, "Yes") for f in policy.facts if f.asked_apart and f.id in a.facts),
        ("Also", _labels(policy, "facts", [x for x in a.facts if not _apart(policy, x)])),
        ("So far", policy.option("histories", a.history).label),
        (
            "Investigation",
            "A school investigation or enquiry is under way" if a.investigation_under_way else "",
        ),
        ("Child's account or age (4.3)", a.child_note),
    ]
    return tuple(Fact(k, v) for k, v in rows if v)


def action_options(
    policy: Policy, recommendation: Recommendation, chosen: Sequence[str] | None = None
) -> tuple[ActionOption, ...]:
    """Every action of 5.1, the recommended ones ticked with their reason and whose it is (a
    clause of the policy or the trust's practice), or the chosen ones once decided."""
    # Whose it is first: Slack cuts an option's description at 75 characters.
    reasons = {
        a.action_id: f"{a.cited[0].upper()}{a.cited[1:]}: {a.reason}"
        for a in recommendation.actions
    }
    preselected = {a.action_id for a in recommendation.actions if a.preselected}
    ticked = set(chosen) if chosen is not None else preselected
    return tuple(
        ActionOption(o.id, o.clause, o.label, reasons.get(o.id, ""), o.id in ticked)
        for o in policy.actions
        if not o.referral  # the DSL's from filing, not the approver's to choose
    )


def urgent_banner(case: Case) -> str:
    """Why the case is urgent, in a line; nothing once it is closed or when it is not urgent."""
    if case.urgency is not Urgency.URGENT or not case.status.is_open:
        return ""
    because = "; ".join(case.recommendation.urgent_because) or "someone may be in danger"
    return f"URGENT: {because}. The safeguarding leads have been told."


def form_view(
    sections: Sequence[Section],
    step: int,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> FormView:
    last = step == len(sections) - 1
    return FormView(
        title="Report a post",
        step=step,
        steps=len(sections) + 1,
        sections=(sections[step],),
        values=values,
        errors=errors,
        intro=f"Step {step + 1} of {len(sections) + 1}: {sections[step].title}",
        submit_label="Review" if last else "Next",
    )


def summary_view(
    policy: Policy, answers: Any, school: School | None, recommendation: Recommendation
) -> SummaryView:
    urgent = recommendation.urgency is Urgency.URGENT
    decides = (
        "The trust's escalation contacts decide what happens, as the post is about one of the "
        "school's deciders."
        if recommendation.escalated
        else "The head decides what happens."
    )
    return SummaryView(
        title="Check and submit",
        facts=report_facts(policy, answers, school),
        urgency=URGENCY_LABEL[recommendation.urgency],
        urgent=urgent,
        actions=tuple(a for a in action_options(policy, recommendation) if a.reason),
        note=(
            f"{decides} Each recommendation says whose it is: a clause of "
            "the policy, or the trust's practice; urgency and deadlines are the trust's settings. "
            "Nothing is saved until you submit."
        ),
    )


def receipt_view(case: Case, policy: Policy, school: School) -> ReceiptView:
    urgent = case.urgency is Urgency.URGENT
    deciders = (
        "The trust's escalation contacts"
        if case.recommendation.escalated
        else f"{school.name}'s head or deputy"
    )
    lines = [
        (
            f"What happens next: your report is filed as {case.reference}. {deciders} will "
            "decide what to do, and you will be told here."
        ),
        "Please don't reply to the post or contact the parent about it yourself.",
        # Said to the teacher: what to tell a parent who asks, in the policy's words.
        (
            f"If a parent asks what they can do instead: {policy.channels_text} "
            f"(clause {policy.channels_clause})"
        ),
    ]
    if urgent:
        lines.insert(0, "If anyone is in immediate danger, call 999 now.")
        lines.insert(1, "This case is urgent: the safeguarding leads have been told too.")
    elif case.recommendation.alerts_dsl:
        lines.insert(0, "The safeguarding leads have been told too.")
    return ReceiptView(case.reference, f"Report {case.reference} received", urgent, tuple(lines))
