"""Access: sign-in and sign-out, language, own password (``auth``), the audit log (``audit``) and the
administrator's users page (``users``)."""
