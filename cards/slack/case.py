"""The approval card on Slack: facts, decision controls, tasks, files, within Block Kit's limits."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from cards import views
from cards.ids import ActionId, CasePayload, InputId
from cards.slack.base import (
    MAX_FIELD_TEXT,
    MAX_HEADER,
    MAX_INFO_FACTS,
    MAX_MESSAGE_BLOCKS,
    MAX_OPTIONS,
    MAX_SELECT_OPTIONS,
    MAX_TITLE,
    MIN_MIDDLE,
    SlackMessage,
    bullets,
    button_element,
    context,
    escape,
    fact_text,
    fit,
    mrkdwn,
    option,
    plain,
    section,
)
from cards.views import ActionOption, ApprovalCardView, Button, Fact, FileRow, TaskRow


def fact_blocks(facts: Sequence[Fact]) -> list[Block]:
    """Short facts side by side (ten to a section), long ones in their own section."""
    blocks: list[Block] = []
    short: list[MarkdownTextObject] = []
    for f in facts:
        if len(f.value) <= 80:
            short.append(mrkdwn(fact_text(f, MAX_FIELD_TEXT), MAX_FIELD_TEXT))
            continue
        blocks.append(section(fact_text(f)))
    for n in range(0, len(short), 10):
        blocks.insert(n // 10, SectionBlock(fields=short[n : n + 10]))
    return blocks


def action_checkboxes(actions: Sequence[ActionOption]) -> InputBlock:
    options = [option(a.id, a.text, a.reason) for a in actions[:MAX_OPTIONS]]
    ticked = [o for o, a in zip(options, actions, strict=False) if a.ticked]
    return InputBlock(
        block_id=InputId.ACTIONS.value,
        label=plain("Actions to take (untick any you do not approve, tick any you add)"),
        optional=True,
        element=CheckboxesElement(
            action_id=InputId.ACTIONS.value, options=options, initial_options=ticked or None
        ),
    )


def other_action_input() -> InputBlock:
    return InputBlock(
        block_id=InputId.OTHER_ACTION.value,
        label=plain("If you tick 5.1.8, what is the other action?"),
        optional=True,
        dispatch_action=False,
        element=PlainTextInputElement(action_id=InputId.OTHER_ACTION.value, max_length=2000),
    )


def decision_buttons(payload: CasePayload) -> ActionsBlock:
    value = payload.encode()
    return ActionsBlock(
        block_id="decision",
        elements=[
            ButtonElement(
                text=plain("Approve ticked actions"),
                action_id=ActionId.APPROVE.value,
                value=value,
                style="primary",
            ),
            ButtonElement(
                text=plain("Decline"), action_id=ActionId.DECLINE.value, value=value, style="danger"
            ),
            ButtonElement(
                text=plain("Ask the reporter"), action_id=ActionId.ASK_INFO.value, value=value
            ),
        ],
    )


def task_blocks(row: TaskRow) -> list[Block]:
    """A task: what, who, when and how it stands, its help, then Mark done and Reassign."""
    state = f"{escape(row.status)}" + (" · :warning: *overdue*" if row.overdue else "")
    lines = [f"*{escape(row.title)}*", f"{escape(row.owner)} · due {escape(row.due)} · {state}"]
    if row.result:
        lines.append(f"Result: {escape(row.result)}")
    if row.help:
        lines.append(bullets([f"• {h}" for h in row.help]))
    blocks: list[Block] = [section("\n".join(lines))]
    if row.buttons:
        blocks.append(
            ActionsBlock(
                block_id=f"task_{row.id}", elements=[button_element(b) for b in row.buttons]
            )
        )
    return blocks


def file_blocks(rows: Sequence[FileRow], evidence: Sequence[str], room: int) -> list[Block]:
    """Evidence and drafts, each with its Open button; a select instead when room is short."""
    heading = "*Evidence and files (5.1.7)*"
    if not rows:
        listed = bullets([f"• {e}" for e in evidence]) or "No screenshots yet."
        return [section(f"{heading}\n{listed}")]
    if len(rows) + 1 <= room:
        return [
            section(heading),
            *(
                SectionBlock(
                    block_id=f"file_{n}",
                    text=mrkdwn(escape(r.label)),
                    accessory=button_element(r.button),
                )
                for n, r in enumerate(rows)
            ),
        ]
    # Too many to list one by one: one list, and one select that opens the chosen file.
    listed = bullets([f"• {r.label}" for r in rows])
    picker = StaticSelectElement(
        action_id=rows[0].button.action.value,
        placeholder=plain("Open a file"),
        options=[option(r.button.value, r.label) for r in rows[:MAX_SELECT_OPTIONS]],
    )
    return [section(f"{heading}\n{listed}"), ActionsBlock(block_id="files", elements=[picker])]


def approval_card(view: ApprovalCardView) -> SlackMessage:
    """The card approvers decide on; after the decision it carries the tasks, files and closure."""
    top: list[Block] = [HeaderBlock(text=plain(view.headline, MAX_HEADER))]
    if view.banner:
        top.append(section(f":rotating_light: *{escape(view.banner)}*"))
    top.append(
        context(
            f"*Status:* {escape(view.status)} · *Urgency:* {escape(view.urgency)} · "
            f"{escape(view.school)}"
        )
    )
    middle: list[Block] = fact_blocks(view.facts)
    middle.extend(section(fact_text(f)) for f in view.info[-MAX_INFO_FACTS:])
    # The job in hand first, as on the web page and in Teams: the decision while one is needed,
    # then the tasks, the decision and the closing; the report and its files below.
    bottom: list[Block] = []
    if view.decidable:
        bottom.extend(
            [action_checkboxes(view.actions), other_action_input(), decision_buttons(view.payload)]
        )
    if view.pending:
        bottom.append(context(escape(view.pending)))
    if view.tasks:
        bottom.append(section("*Tasks*"))
        for row in view.tasks:
            bottom.extend(task_blocks(row))
    if view.decision:
        bottom.append(section(bullets(view.decision)))
    if view.closure:
        bottom.append(section(bullets(view.closure)))
    case_buttons = list(view.case_buttons)
    if view.correctable:
        value = view.payload.encode()
        case_buttons.append(Button("Correct an answer", ActionId.CORRECT_ANSWER, value))
    if case_buttons:
        bottom.append(
            ActionsBlock(
                block_id="case_actions", elements=[button_element(b) for b in case_buttons]
            )
        )
    bottom.append(DividerBlock())
    room = MAX_MESSAGE_BLOCKS - len(top) - len(bottom) - MIN_MIDDLE
    files = file_blocks(view.files, view.evidence, room)
    room = MAX_MESSAGE_BLOCKS - len(top) - len(bottom) - len(files)
    return SlackMessage(view.notification, [*top, *bottom, *fit(middle, room), *files])


def case_modal(view: ApprovalCardView) -> View:
    """A case opened from the register, as this person may see it, to read."""
    card = approval_card(views.read_only(view))
    return View(
        type="modal",
        title=plain(view.reference, MAX_TITLE),
        close=plain("Close", MAX_TITLE),
        blocks=card.blocks,
    )
