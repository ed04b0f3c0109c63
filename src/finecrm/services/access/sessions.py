"""A user's own open sessions: what the password page lists, and "sign out other sessions" (issue 11, finding
12). A sign-in elsewhere does not end an earlier session by itself — a bank user may work from two desks — so
the user can see where they are signed in and end every other session at once; a password change ends them
too (``users.change_password``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from finecrm.db import repositories
from finecrm.db.models import User
from finecrm.services.access import auth
from finecrm.services.access.outputs import OpenSession


def open_sessions(session: Session, *, user: User, token: str | None, now: datetime | None = None
                  ) -> list[OpenSession]:
    """The user's sessions that would still sign them in (not revoked, not idle, not expired), newest first;
    ``current`` marks the one of ``token``."""
    at = auth.utc(now)
    mine = auth.hash_token(token) if token else None
    out: list[OpenSession] = []
    for row in repositories.list_user_sessions(session, user_id=user.id):
        seen = auth.utc(row.last_seen_at)
        if at >= auth.utc(row.expires_at) or at - seen >= auth.IDLE_TIMEOUT:
            continue
        out.append({"current": row.id == mine, "created_at": auth.utc(row.created_at), "last_seen_at": seen,
                    "ip": row.ip, "user_agent": (row.user_agent or "")[:120] or None})
    return sorted(out, key=lambda s: s["last_seen_at"], reverse=True)


def sign_out_other_sessions(session: Session, *, user: User, token: str | None, ip: str | None = None,
                            now: datetime | None = None) -> int:
    """End every session of ``user`` but the one of ``token``; audited (``sessions_revoked``). Returns how many
    were ended. Without a token of the user's own nothing is kept: every session ends."""
    revoked = auth.revoke_user_sessions(session, user=user, now=now, keep_token=token)
    repositories.record_audit(session, actor=user.username, action="sessions_revoked", target=user.username,
                              details={"sessions_revoked": revoked, "ip": ip, "by": "self"})
    session.flush()
    return revoked
