"""Pulled posts whose media the listing cannot show: free when unchanged, refused when edited.

``GET /posts`` lists no media, so a pulled Instagram, YouTube, Pinterest or TikTok post comes out
of ``pull`` with an empty media cell. Validation defers their ``media-required``
(``Validation.media_unknown``); once the account's posts are compared, an unchanged one costs
nothing (journaled as ``pulled``), and an edited one would replace the server post's media with
none (Postiz replaces ``image[]`` with what is sent): it is refused with ``pulled-media-unknown``
until its row names its media, or says ``media: none``.
"""

from __future__ import annotations

from collections.abc import Mapping

from calendar_sched.check.validation import Validation
from calendar_sched.load.channels import label
from calendar_sched.load.normalize import row_of
from calendar_sched.plan.account import ExistingCheck
from calendar_sched.report import RowError


def pulled_media_problems(
    checked: Validation,
    check: ExistingCheck | None,
    done: Mapping[str, str],
    *,
    strict: bool,
) -> list[RowError]:
    """The problems of the pulled Posts whose media are unknown, for the Posts to be sent.

    Args:
        checked: the validation (its ``media_unknown`` Posts).
        check: the comparison with the account; None when the account was not listed.
        done: content hashes the journal holds (a Post whose version is done is not sent).
        strict: ``run``: a Post that cannot be compared is refused too; ``plan``: a warning.

    Returns:
        ``pulled-media-unknown`` errors for edited Posts, or ``pulled-media-unchecked``
        warnings when the account was not listed and ``strict`` is False.
    """
    free = set(check.unchanged) | set(check.held) if check is not None else set()
    problems = []
    for post in checked.posts:
        if post.key not in checked.media_unknown or post.key in free:
            continue
        if done.get(post.key) == post.content_hash():
            continue  # the journal holds this very version: nothing is sent
        row, file = row_of(post.position), post.position.file
        if check is None and not strict:
            problems.append(
                RowError(
                    "pulled-media-unchecked",
                    f"{label(post.channel)}: a pulled post with no media in its row; whether it "
                    "was edited cannot be checked offline (the account's listing says so): if it "
                    "was, name its media or write media: none",
                    row=row,
                    field="media",
                    file=file,
                )
            )
            continue
        why = (
            "was edited"
            if check is not None
            else "cannot be compared with the account (its posts were not listed)"
        )
        problems.append(
            RowError(
                "pulled-media-unknown",
                f"{label(post.channel)}: this pulled post {why}, and Postiz does not list its "
                "media; sending it would replace them with none. Name its media in the row "
                "(media column), or write media: none to really drop them",
                row=row,
                field="media",
                file=file,
            )
        )
    return problems


def add_problems(checked: Validation, problems: list[RowError]) -> None:
    """Add ``problems`` to the validation's report and its files' counts."""
    for problem in problems:
        checked.report.add(problem)
        for summary in checked.files:
            if summary.file == problem.file:
                if problem.severity == "error":
                    summary.errors += 1
                else:
                    summary.warnings += 1
