"""Why a control did not pass, in words for the people who read a pack.

A result's reasons are written for whoever runs Assay: each line is the test's summary
followed by the exact expectation it missed (``files.runbooks.age_days is null; it must be
a whole number``) and often the command that fixes it (``run 'assay collect'``). The pack's
gap register and verdicts show :func:`people_reasons` instead: the summary alone, without
commands or schema paths, with counts agreeing with their nouns. The technical lines stay
in the control's own section, beside the expectation, the facts and each finding's file and
line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assay.assess.model import Result, TestOutcome

#: A clause that tells the reader to run the tool: dropped from the words for people.
_COMMAND = re.compile(r"'assay [^']*'")
#: A parenthesis that only points at the tool.
_COMMAND_ASIDE = re.compile(r"\s*\([^()]*'assay [^']*'[^()]*\)")
#: ``no sbom evidence for the service`` (what the engine says when nothing was collected).
_NO_EVIDENCE = re.compile(r"^no (?P<kind>[\w.-]+) evidence for (?P<subject>.+)$")
_NO_ATTESTATION = re.compile(r"^no attestation recorded for (?P<control>\S+)$")
_NOT_RECORDED = re.compile(r"^(?P<file>\S+) attests (?P<control>\S+) but is not recorded$")
#: Words after a count of one that are plural, and are not verbs or singular nouns.
_ONE_PLURAL = re.compile(
    r"(?<![\w.,/-])1 ((?:[a-z]+ )?)([a-z]{2,}?)(ies|s)\b(?: (were|are|have)\b)?"
)
_VERB = {"were": "was", "are": "is", "have": "has"}
_NOT_PLURAL = {"is", "was", "has", "does", "this", "its", "us", "yes", "less", "plus"}


def singular_after_one(text: str) -> str:
    """``1 change sets`` -> ``1 change set``; ``1 vulnerabilities`` -> ``1 vulnerability``."""

    def fix(match: re.Match[str]) -> str:
        prefix, stem, ending = match.group(1), match.group(2), match.group(3)
        word = stem + ending
        if word in _NOT_PLURAL or word.endswith(("ss", "us", "is")):
            return match.group(0)
        if prefix.strip() in ("of", "in", "at", "to", "and", "or"):
            return match.group(0)  # "1 of 12 tests": the noun is not this one's
        verb = f" {_VERB[match.group(4)]}" if match.group(4) else ""
        return f"1 {prefix}{stem}{'y' if ending == 'ies' else ''}{verb}"

    return _ONE_PLURAL.sub(fix, text)


def for_people(text: str) -> str:
    """One line of a summary without commands to run, as a sentence."""
    text = _COMMAND_ASIDE.sub("", text)
    clauses = [c for c in text.split("; ") if not _COMMAND.search(c)]
    text = "; ".join(clauses).strip().rstrip(";:,. ")
    if found := _NO_EVIDENCE.match(text):
        text = f"no {found['kind']} evidence was collected for {found['subject']}"
    elif found := _NO_ATTESTATION.match(text):
        text = f"no signed attestation of {found['control']} has been recorded"
    elif found := _NOT_RECORDED.match(text):
        text = f"{found['file']} attests {found['control']} but has not been recorded"
    text = singular_after_one(text)
    if not text:
        return ""
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _subject(subject: str) -> str:
    kind, _, name = subject.partition(":")
    return f"{kind} {name}" if name else "the service"


def outcome_words(outcome: TestOutcome) -> str:
    """An outcome's summary for people; its full message when it has no summary."""
    return for_people(outcome.summary or outcome.message)


def people_reasons(result: Result) -> tuple[str, ...]:
    """The result's reasons for people: a waiver first, then each outcome that did not pass
    (worst first, naming its subject when the test ran for several), without repeats."""
    from assay.assess.model import badness

    lines: list[str] = []
    waiver = result.waiver
    if result.status == "waived" and waiver is not None:
        ticket = f" (ticket {waiver.ticket})" if waiver.ticket else ""
        lines.append(
            f"Waived until {waiver.expires.isoformat()} by {waiver.approver}{ticket}: "
            f"{waiver.reason.strip()}"
        )
    if result.status == "not_applicable":
        return (for_people(result.justification),) if result.justification else ()
    outcomes: Sequence[TestOutcome] = result.tests
    subjects = {o.subject for o in outcomes}
    failing = sorted((o for o in outcomes if o.status != "pass"), key=lambda o: -badness(o.status))
    for outcome in failing:
        words = outcome_words(outcome)
        named = len(subjects) > 1 and not words.lower().endswith(
            _subject(outcome.subject).lower() + "."
        )
        line = f"{_subject(outcome.subject).capitalize()}: {words}" if named else words
        if line and line not in lines:
            lines.append(line)
    for reason in result.reasons:
        if reason.startswith(("the waiver in ", "waiver expired")):
            plain = re.sub(r"^the waiver in \S+ ", "the waiver ", reason)
            lines.append(for_people(re.sub(r" \([^()]*\)", "", plain)))
    if not lines and result.reasons:
        lines = [for_people(reason) for reason in result.reasons]
    return tuple(lines)
