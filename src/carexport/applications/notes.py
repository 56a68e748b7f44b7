"""Notes on an application: a reviewer's internal note (agency staff and the monitor see
it) or a note visible to the exporter; who wrote it, when, and the text.

Which notes a caller gets is decided here, by the caller's role, and not by the page that
shows them: the exporter's page and the agency's page read the same function, so an
internal note cannot reach an exporter through a template or a serializer shared by both
views (the leak that LITE's maintainers regret). Notes are never edited or deleted; each
one appends an audit entry holding the SM3 of its text rather than the text, so that the
exporter's history (which shows the application's audit entries) carries no internal
text, and an internal note's entry is left out of the exporter's history altogether.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from carexport import audit, clock
from carexport.accounts.actor import Actor
from carexport.accounts.enums import AGENCY_ROLES, Role
from carexport.applications import service
from carexport.applications.models import Note
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.errors import Forbidden, InputProblem, InvalidInput
from carexport.seals import sm3_digest

SHARED_NOTE_VERB = "application.note.shared"

NOTE_REQUIRED = "请填写备注内容 / write the note's text"
ONLY_AGENCY = "只有发证机构的审核员可以添加备注 / only the issuing agency's reviewers may add notes"


@dataclass(frozen=True)
class NoteView:
    """A note as the pages show it."""

    id: int
    at: datetime
    author: str
    text: str
    visible_to_exporter: bool


def _view(note: Note) -> NoteView:
    return NoteView(
        id=note.id,
        at=note.at,
        author=note.author,
        text=note.text,
        visible_to_exporter=note.visible_to_exporter,
    )


def add_note(
    *,
    uow: UnitOfWork,
    actor: Actor,
    application_id: int,
    text: str,
    visible_to_exporter: bool,
    at: datetime | None = None,
) -> NoteView:
    """A note by a reviewer of the application's agency (the monitor reads only: 403;
    another agency's reviewer: 404, the application is not theirs to know)."""
    app = service.get(uow=uow, actor=actor, application_id=application_id)
    if actor.role not in AGENCY_ROLES:
        raise Forbidden(ONLY_AGENCY)
    clean = text.strip()
    limit = get_settings().max_note_chars
    if not clean:
        raise InvalidInput([InputProblem("form", "text", NOTE_REQUIRED, "missing")])
    if len(clean) > limit:
        raise InvalidInput(
            [
                InputProblem(
                    "form",
                    "text",
                    f"备注不能超过 {limit} 个字符 / a note may hold at most {limit} characters",
                    "too_long",
                )
            ]
        )
    now = at or clock.now()
    note = Note(
        application_id=app.id,
        visible_to_exporter=visible_to_exporter,
        text=clean,
        user_id=actor.user_id,
        author=actor.username,
        at=now,
    )
    uow.session.add(note)
    uow.session.flush()
    audit.append(
        uow.session,
        verb=SHARED_NOTE_VERB if visible_to_exporter else service.INTERNAL_NOTE_VERB,
        object_kind=service.APPLICATION,
        object_id=app.id,
        actor=actor,
        versions={"application": app.version},
        payload={
            "application_id": app.application_no,
            "note": note.id,
            "visible_to_exporter": visible_to_exporter,
            "text_sm3": sm3_digest(clean.encode()).hex(),
        },
        at=now,
    )
    view = _view(note)
    uow.commit()
    return view


def notes_for(*, uow: UnitOfWork, actor: Actor, application_id: int) -> list[NoteView]:
    """The notes `actor` may read on the application, oldest first: every note for the
    agency's staff and the monitor, only those visible to the exporter for its applicant.
    Raises as applications.service.get does (404 for an application not theirs)."""
    app = service.get(uow=uow, actor=actor, application_id=application_id)
    query = select(Note).where(Note.application_id == app.id)
    if actor.role not in AGENCY_ROLES and actor.role != Role.MONITOR:
        query = query.where(Note.visible_to_exporter.is_(True))
    return [_view(n) for n in uow.session.scalars(query.order_by(Note.at, Note.id))]
