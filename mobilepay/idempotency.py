"""Idempotency keys: every create call carries one, generated and stored before the call (API.md 11.4)."""

from .formats import new_guid


def new_idempotency_key():
    """A fresh idempotency key (a GUID). Store it before the call that uses it."""
    return new_guid()
