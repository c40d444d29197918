"""Pure renderers from the view models to Slack Block Kit, through slack_sdk.models."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    InputInteractiveElement,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    RichTextBlock,
    RichTextElementParts,
    RichTextSectionElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.forms import Field, FieldId, Kind, Section
from cards.ids import ActionId, CasePayload, InputId, ViewId
from cards.views import (
    OUTCOME_CHOICES,
    ActionOption,
    ApprovalCardView,
    Button,
    CaseListView,
    Fact,
    FileRow,
    FormView,
    NoteView,
    ReceiptView,
    SummaryView,
    TaskRow,
)

# Block Kit limits (https://docs.slack.dev/reference/block-kit): checked by the renderers,
# so a long post or many files shorten the card instead of making Slack refuse it.
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER = 150
MAX_OPTION_TEXT = 75
MAX_OPTIONS = 10
MAX_TITLE = 24
MAX_CONTEXT_TEXT = 2000
MAX_INFO_FACTS = 6  # the last three questions and answers on the card; all are in the thread
MAX_BUTTON_TEXT = 75
MAX_SELECT_OPTIONS = 100
MIN_MIDDLE = 4  # blocks kept for the report's facts however many tasks and files a case has

# What "Mark done" asks for as a reference, by action; other actions ask only what was done.

# Slack-only inputs of the report form (the platform-neutral ones are FieldId values).
MESSAGE_FILES = "message_files"


class FileInputElement(InputInteractiveElement):
    """Block Kit's `file_input` (modals only, needs files:read); slack_sdk 3.48 lacks it."""

    type = "file_input"

    @property
    def attributes(self) -> set[str]:  # type: ignore[override]
        return super().attributes.union({"filetypes", "max_files"})

    def __init__(
        self,
        *,
        action_id: str | None = None,
        filetypes: Sequence[str] | None = None,
        max_files: int | None = None,
        **others: Any,
    ) -> None:
        super().__init__(action_id=action_id, type=self.type, **others)
        self.filetypes = list(filetypes) if filetypes else None
        self.max_files = max_files


@dataclass(frozen=True)
class SlackMessage:
    """What chat.postMessage and chat.update take: the notification text and the blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def block_dicts(self) -> list[dict[str, Any]]:
        return [b.to_dict() for b in self.blocks]


@dataclass(frozen=True)
class OfferedFile:
    """A file attached to the Slack message being reported, offered as evidence."""

    id: str
    name: str


# text helpers


def clip(text: str, limit: int) -> str:
    """Shorten text to at most limit characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape(text: str) -> str:
    """Slack mrkdwn control characters: user text must not become mentions or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


def plain(text: str, limit: int = MAX_SECTION_TEXT) -> PlainTextObject:
    return PlainTextObject(text=clip(text, limit), emoji=True)


def asking_modal(
    callback_id: str,
    title: str,
    submit: str,
    metadata: str,
    *,
    blocks: Sequence[Block],
    notify_on_close: bool = False,
) -> View:
    """A modal that asks something: its title, its submit button, Cancel, and what it carries."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=plain(title, MAX_TITLE),
        submit=plain(submit, MAX_TITLE),
        close=plain("Cancel", MAX_TITLE),
        private_metadata=metadata,
        notify_on_close=notify_on_close,
        blocks=list(blocks),
    )


def section(text: str) -> SectionBlock:
    return SectionBlock(text=mrkdwn(text))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[mrkdwn(text, MAX_CONTEXT_TEXT)])


def fact_text(fact: Fact, limit: int = MAX_SECTION_TEXT) -> str:
    return clip(f"*{escape(fact.label)}*\n{escape(fact.value)}", limit)


def bullets(lines: Sequence[str]) -> str:
    return "\n".join(escape(line) for line in lines)


# the report form


def option(value: str, text: str, description: str = "") -> Option:
    return Option(
        value=value,
        text=plain(text, MAX_OPTION_TEXT),
        description=plain(description, MAX_OPTION_TEXT) if description else None,
    )


def _selected(field_: Field, values: Mapping[str, Any]) -> list[str]:
    raw = values.get(field_.id)
    if raw in (None, ""):
        return []
    return [raw] if isinstance(raw, str) else [str(v) for v in raw]


def form_element(field_: Field, values: Mapping[str, Any], today: date) -> InputInteractiveElement:
    """The Block Kit element for one form field, prefilled from values."""
    options = [option(c.id, c.label) for c in field_.choices][:MAX_OPTIONS]
    chosen = [o for o in options if o.value in _selected(field_, values)]
    aid = field_.id.value
    if field_.kind is Kind.SELECT:
        return StaticSelectElement(
            action_id=aid,
            placeholder=plain("Choose one"),
            options=options,
            initial_option=chosen[0] if chosen else None,
        )
    if field_.kind is Kind.RADIO:
        return RadioButtonsElement(
            action_id=aid, options=options, initial_option=chosen[0] if chosen else None
        )
    if field_.kind in (Kind.CHECKBOXES, Kind.FLAG):
        return CheckboxesElement(action_id=aid, options=options, initial_options=chosen or None)
    if field_.kind is Kind.DATE:
        picked = values.get(field_.id) or today.isoformat()
        return DatePickerElement(action_id=aid, initial_date=str(picked))
    if field_.kind is Kind.FILES:
        return FileInputElement(action_id=aid, max_files=MAX_OPTIONS)
    text = values.get(field_.id)
    return PlainTextInputElement(
        action_id=aid,
        multiline=field_.kind is Kind.LONG_TEXT,
        max_length=min(field_.max_length, MAX_SECTION_TEXT) if field_.max_length else None,
        placeholder=plain(field_.placeholder, 150) if field_.placeholder else None,
        initial_value=clip(text, field_.max_length or MAX_SECTION_TEXT)
        if isinstance(text, str) and text
        else None,
    )


def form_input(field_: Field, values: Mapping[str, Any], today: date) -> InputBlock:
    return InputBlock(
        block_id=field_.id.value,
        label=plain(field_.label, 2000),
        hint=plain(field_.hint, 2000) if field_.hint else None,
        optional=not field_.required,
        element=form_element(field_, values, today),
    )


def offered_files_input(files: Sequence[OfferedFile]) -> InputBlock:
    options = [option(f.id, f.name) for f in files[:MAX_OPTIONS]]
    return InputBlock(
        block_id=MESSAGE_FILES,
        label=plain("Keep the files attached to the message as evidence?"),
        hint=plain("Untick any file that is not about the post."),
        optional=True,
        element=CheckboxesElement(
            action_id=MESSAGE_FILES, options=options, initial_options=options
        ),
    )


def form_modal(
    view: FormView,
    metadata: str,
    today: date,
    offered: Sequence[OfferedFile] = (),
    source: str = "",
) -> dict[str, Any]:
    """One step of the report form, as the view JSON Slack takes; block ids are the field ids,
    so errors land on them.

    A step is mostly shown before anyone has typed in it, and then it is the same for every
    reporter of the same schools on the same day: such a step is rendered once and reused with
    this draft's metadata (Block Kit rendering costs more than the rest of a step's handling).
    The dict returned shares its blocks with the kept copy: serialise it, never change it.
    """
    if offered or source or any(view.values.get(f.id) for s in view.sections for f in s.fields):
        step = _form_step(view, today, offered, source)
    else:
        step = _unanswered_step(
            view.title, view.step, view.steps, view.sections, view.intro, view.submit_label, today
        )
    return {**step, "private_metadata": metadata}


@lru_cache(maxsize=64)
def _unanswered_step(
    title: str,
    step: int,
    steps: int,
    sections: tuple[Section, ...],
    intro: str,
    submit_label: str,
    today: date,
) -> dict[str, Any]:
    blank = FormView(title, step, steps, sections, {}, {}, intro, submit_label)
    return _form_step(blank, today, (), "")


def _form_step(
    view: FormView, today: date, offered: Sequence[OfferedFile], source: str
) -> dict[str, Any]:
    blocks: list[Block] = [context(escape(view.intro))]
    if source:
        blocks.append(context(f"Reported from this Slack message: {source}"))
    for s in view.sections:
        for f in s.fields:
            blocks.append(form_input(f, view.values, today))
            if f.id is FieldId.EVIDENCE and offered:
                blocks.append(offered_files_input(offered))
    if view.step > 0:
        blocks.append(
            ActionsBlock(
                block_id="form_nav",
                elements=[ButtonElement(text=plain("Back"), action_id=ActionId.FORM_BACK.value)],
            )
        )
    modal = asking_modal(
        ViewId.REPORT.value,
        view.title,
        view.submit_label,
        "",
        notify_on_close=True,
        blocks=blocks,
    )
    return modal.to_dict()


def action_line(a: ActionOption) -> str:
    reason = f"\n    _{escape(a.reason)}_" if a.reason else ""
    return f"• *{escape(a.clause)}* {escape(a.label)}{reason}"


def summary_modal(view: SummaryView, metadata: str) -> View:
    """The last step: the report as it will be filed and what the policy recommends."""
    blocks: list[Block] = []
    if view.urgent:
        blocks.append(
            section(":rotating_light: *URGENT.* If anyone is in immediate danger, call 999 now.")
        )
    blocks.extend(section(fact_text(f)) for f in view.facts)
    blocks.append(DividerBlock())
    blocks.append(section(f"*Urgency:* {escape(view.urgency)}"))
    actions = "\n".join(action_line(a) for a in view.actions)
    blocks.append(section(f"*What the policy recommends*\n{actions}"))
    blocks.append(context(escape(view.note)))
    return asking_modal(
        ViewId.REPORT.value,
        view.title,
        view.submit_label,
        metadata,
        notify_on_close=True,
        blocks=fit(blocks, MAX_VIEW_BLOCKS),
    )


def receipt_blocks(view: ReceiptView) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text=plain(view.headline, MAX_HEADER))]
    for n, line in enumerate(view.lines):
        urgent_line = view.urgent and n == 0
        blocks.append(
            section(f":rotating_light: *{escape(line)}*" if urgent_line else escape(line))
        )
    return blocks


def receipt_modal(view: ReceiptView) -> View:
    """What the reporter sees in place of the form once the case is stored."""
    return View(
        type="modal",
        callback_id="report_done",
        title=plain("Report filed", MAX_TITLE),
        close=plain("Close", MAX_TITLE),
        blocks=receipt_blocks(view),
    )


def receipt_message(view: ReceiptView) -> SlackMessage:
    return SlackMessage(view.headline, receipt_blocks(view))


# the approval card


def fit(blocks: list[Block], limit: int) -> list[Block]:
    """Keep within Slack's block count: drop the middle, keep the top and the bottom."""
    if len(blocks) <= limit:
        return blocks
    head = blocks[: max(0, limit // 2)]
    keep = max(0, limit - len(head) - 1)
    tail = blocks[len(blocks) - keep :] if keep else []
    return [
        *head,
        context("_Some details are left out here; the case record has them all._"),
        *tail,
    ]


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


def button_element(b: Button) -> ButtonElement:
    return ButtonElement(
        text=plain(b.label, MAX_BUTTON_TEXT),
        action_id=b.action.value,
        value=b.value,
        style="primary" if b.primary else None,
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
    if view.urgent:
        top.append(
            section(
                ":rotating_light: *URGENT*: the police may need to be contacted, or a child may "
                "be at risk. The safeguarding leads have been told."
            )
        )
    top.append(
        context(
            f"*Status:* {escape(view.status)} · *Urgency:* {escape(view.urgency)} · "
            f"{escape(view.school)}"
        )
    )
    middle: list[Block] = fact_blocks(view.facts)
    middle.extend(section(fact_text(f)) for f in view.info[-MAX_INFO_FACTS:])
    bottom: list[Block] = [DividerBlock()]
    if view.decision:
        bottom.append(section(bullets(view.decision)))
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
    if view.closure:
        bottom.append(section(bullets(view.closure)))
    if view.case_buttons:
        bottom.append(
            ActionsBlock(
                block_id="case_actions", elements=[button_element(b) for b in view.case_buttons]
            )
        )
    room = MAX_MESSAGE_BLOCKS - len(top) - len(bottom) - MIN_MIDDLE
    files = file_blocks(view.files, view.evidence, room)
    room = MAX_MESSAGE_BLOCKS - len(top) - len(bottom) - len(files)
    return SlackMessage(view.notification, [*top, *fit(middle, room), *files, *bottom])


# notes, text modals and the Home tab


def note_message(view: NoteView, button: ActionId | None = None) -> SlackMessage:
    """A short message about a case; button (with the case payload) when the view offers one."""
    blocks: list[Block] = [section(f"*{escape(view.headline)}*\n{bullets(view.lines)}")]
    if view.button and button and view.payload:
        blocks.append(
            ActionsBlock(
                block_id="note_actions",
                elements=[
                    ButtonElement(
                        text=plain(view.button, MAX_OPTION_TEXT),
                        action_id=button.value,
                        value=view.payload.encode(),
                        style="primary",
                    )
                ],
            )
        )
    if view.buttons:
        blocks.append(
            ActionsBlock(
                block_id="note_buttons", elements=[button_element(b) for b in view.buttons]
            )
        )
    return SlackMessage(view.notification, blocks)


def file_link_message(view: NoteView, url: str) -> SlackMessage:
    """The private answer to an Open button: the signed link, and how long it works.

    A rich-text link element, not mrkdwn `<url|text>`: the signed query string has `&`, which
    mrkdwn would want escaped and which Slack's iOS app has been known to break.
    """
    rest = " ".join(line for line in view.lines if line != url)
    parts: list[Any] = [
        RichTextElementParts.Link(url=url, text=view.headline, style={"bold": True})
    ]
    if rest:
        parts.append(RichTextElementParts.Text(text=f"\n{rest}"))
    link = RichTextBlock(elements=[RichTextSectionElement(elements=parts)])
    return SlackMessage(view.notification, [link])


def text_modal(
    callback: ViewId,
    title: str,
    intro: str,
    input_id: InputId,
    label: str,
    submit: str,
    metadata: str,
    max_length: int = 2000,
) -> View:
    """A modal that asks one question in words: decline reason, question, answer."""
    return asking_modal(
        callback.value,
        title,
        submit,
        metadata,
        blocks=[
            section(escape(intro)),
            InputBlock(
                block_id=input_id.value,
                label=plain(label, 2000),
                element=PlainTextInputElement(
                    action_id=input_id.value, multiline=True, max_length=max_length
                ),
            ),
        ],
    )


def notice_modal(title: str, text: str) -> View:
    """A modal that only says something (e.g. why the form cannot open)."""
    return View(
        type="modal",
        title=plain(title, MAX_TITLE),
        close=plain("Close", MAX_TITLE),
        blocks=[section(escape(text))],
    )


def task_done_modal(intro: str, reference_label: str, metadata: str) -> View:
    """Mark done: what was done, and a reference where the action has one."""
    blocks: list[Block] = [
        section(escape(intro)),
        InputBlock(
            block_id=InputId.TASK_RESULT.value,
            label=plain("What was done?"),
            element=PlainTextInputElement(
                action_id=InputId.TASK_RESULT.value, multiline=True, max_length=2000
            ),
        ),
    ]
    if reference_label:
        blocks.append(
            InputBlock(
                block_id=InputId.TASK_REFERENCE.value,
                label=plain(reference_label),
                optional=True,
                element=PlainTextInputElement(
                    action_id=InputId.TASK_REFERENCE.value, max_length=200
                ),
            )
        )
    return asking_modal(
        ViewId.TASK_DONE.value,
        "Mark the task done",
        "Mark done",
        metadata,
        blocks=blocks,
    )


def reassign_modal(intro: str, metadata: str) -> View:
    """Reassign: pick any member of staff in Slack."""
    return asking_modal(
        ViewId.TASK_REASSIGN.value,
        "Reassign the task",
        "Reassign",
        metadata,
        blocks=[
            section(escape(intro)),
            InputBlock(
                block_id=InputId.TASK_OWNER.value,
                label=plain("Give the task to"),
                element=UserSelectElement(
                    action_id=InputId.TASK_OWNER.value, placeholder=plain("Choose a person")
                ),
            ),
        ],
    )


def close_modal(intro: str, metadata: str) -> View:
    """Close the case: how it ended (radio buttons) and a note for the record."""
    return asking_modal(
        ViewId.CLOSE.value,
        "Close the case",
        "Close case",
        metadata,
        blocks=[
            section(escape(intro)),
            InputBlock(
                block_id=InputId.CLOSE_OUTCOME.value,
                label=plain("How did it end?"),
                element=RadioButtonsElement(
                    action_id=InputId.CLOSE_OUTCOME.value,
                    options=[option(value, label) for value, label in OUTCOME_CHOICES],
                ),
            ),
            InputBlock(
                block_id=InputId.CLOSE_NOTE.value,
                label=plain("Closing note, for the record"),
                element=PlainTextInputElement(
                    action_id=InputId.CLOSE_NOTE.value, multiline=True, max_length=2000
                ),
            ),
        ],
    )


def report_button() -> ActionsBlock:
    return ActionsBlock(
        block_id="home_actions",
        elements=[
            ButtonElement(
                text=plain("Report a post"), action_id=ActionId.OPEN_REPORT.value, style="primary"
            )
        ],
    )


def home_view(cases: CaseListView, intro: str) -> View:
    """The App Home tab: the button to report, then the open cases this person can see."""
    blocks: list[Block] = [
        HeaderBlock(text=plain("Social media concerns")),
        section(escape(intro)),
        report_button(),
        DividerBlock(),
        section(f"*{escape(cases.title)}*"),
    ]
    rows = [
        section(
            f"*{r.reference}* · {escape(r.school)}\n{escape(r.status)} · {escape(r.urgency)} · "
            f"{escape(r.age)}"
            + (
                f" · :warning: {r.overdue} overdue task{'s' if r.overdue > 1 else ''}"
                if r.overdue
                else ""
            )
        )
        for r in cases.rows
    ]
    blocks.extend(rows or [context(escape(cases.empty))])
    return View(type="home", blocks=fit(blocks, MAX_VIEW_BLOCKS))


def hint_message() -> SlackMessage:
    """The answer to a direct message: how to report."""
    return SlackMessage(
        "Report a post",
        [
            section(
                "To report a worrying social media post, press the button, type "
                "`/report-post`, or use *Report this post* on a message."
            ),
            report_button(),
        ],
    )


def view_json(view: View) -> str:
    """The view as Slack receives it (for size checks in tests and logs of sizes)."""
    return json.dumps(view.to_dict())
