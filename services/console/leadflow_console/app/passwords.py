"""Passwords hashed with Argon2id, off the event loop and a few at a time."""

import asyncio
import functools

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# Argon2id with pwdlib's defaults (the OWASP minimums or above).
PASSWORDS = PasswordHash((Argon2Hasher(),))


@functools.cache
def unknown_account_hash() -> str:
    """Verified against when the account does not exist, so both answers take as long; made at
    the first login, not at import (an Argon2 hash costs every process start 0.2 to 0.4 s)."""
    return PASSWORDS.hash("an account that does not exist")


class Passwords:
    """Argon2 takes tens of milliseconds and 64 MiB per hash by design: hashes run off the event
    loop, two at a time, so a burst of logins queues instead of exhausting the memory."""

    def __init__(self, at_once: int = 2):
        self._slots = asyncio.Semaphore(at_once)

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(PASSWORDS.hash, password)

    async def verify(self, password: str, hashed: str | None) -> bool:
        """`hashed` None: an account that does not exist, checked as long as one that does."""
        async with self._slots:
            return await asyncio.to_thread(PASSWORDS.verify, password, hashed or unknown_account_hash())
