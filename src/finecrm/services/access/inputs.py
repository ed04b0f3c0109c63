"""What access's use cases take from a JSON body, typed once (the API documents it)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Credentials(BaseModel):
    """A sign-in: user name and password (failures count towards the lockout)."""

    username: str = Field(max_length=100)
    password: str = Field(max_length=200)
