"""The privacy notice served at /privacy and /terms: the trust's own text, or a default one."""

from __future__ import annotations

from bot.config import Trust


def notice_text(trust: Trust) -> str:
    return trust.privacy_notice or default_notice(trust)


def default_notice(trust: Trust) -> str:
    """What is kept, why, for how long and whom to ask: true of this bot whatever the trust
    adds; a trust replaces it with its own (trust.privacy_notice)."""
    schools = ", ".join(s.name for s in trust.schools)
    years = trust.retention_years
    return f"""\
{trust.name} uses this bot so that its staff can report social media posts about its schools, \
their staff and pupils, under the trust's policy on parents' use of social media.

What is kept
- What a member of staff enters in a report: the post's words and link, screenshots of it, \
who posted it, whom it is about, which of the policy's categories apply and what has happened \
so far.
- Who reported it, who decided what to do and why, the tasks that follow with their owners and \
results, and letters drafted for the case.
- A record of who opened each case, its files and its exports, and when.

Why
To deal with each post under the policy and to keep evidence of it (clause 5.1.7 of the policy). \
Only the people who need a case see it: the school's head or deputy and its safeguarding leads, \
the person who reported it (their report and its progress), and whoever is given a task on it.

For how long
A case is kept for {years} year{"s" if years != 1 else ""} after its last activity and then \
removed, with its files. A record without names or post text (the reference, the school, the \
dates and which categories applied) is kept for the trust's statistics.

Whom to ask
To ask what the bot holds about you, to have something corrected, or with any question about \
this notice, contact {trust.name}'s data protection officer through the office of any of its \
schools: {schools}.
"""


def terms_intro(trust: Trust) -> str:
    """Above the notice at /terms: what the bot is for, and so what it may be used for."""
    return (
        f"This bot is for {trust.name}'s staff, to report and deal with social media posts "
        "under the trust's policy on parents' use of social media. How it uses personal "
        "information:"
    )
