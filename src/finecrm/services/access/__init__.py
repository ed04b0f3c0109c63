"""Access: sign-in and sessions, user administration, demo accounts and the audit log."""
