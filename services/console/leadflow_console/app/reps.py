"""Whether a rep record exists, asked of routing, which owns the reps: a rep account must name
one that does, or it works as nobody. Asked with the bootstrap key (service to service), since
the caller may be a key or token without `routing:read`."""

import uuid

import httpx

from leadflow_common.errors import Unavailable

# An admin is waiting on the answer: a routing that does not answer soon is reported as such.
TIMEOUT = httpx.Timeout(5.0, connect=2.0)
UNCHECKED = "the rep_id cannot be checked; try again shortly"


class RepDirectory:
    def __init__(self, routing_url: str, api_key: str):
        self._client = httpx.AsyncClient(
            base_url=routing_url.rstrip("/"), timeout=TIMEOUT, headers={"Authorization": f"Bearer {api_key}"}
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def exists(self, rep_id: uuid.UUID) -> bool:
        """True or False as routing says; Unavailable (503) when routing cannot say: never a
        guess, either way."""
        try:
            response = await self._client.get(f"/v1/reps/{rep_id}")
        except httpx.HTTPError:
            raise Unavailable(f"The routing service does not answer: {UNCHECKED}") from None
        if response.status_code == 200:
            return True
        if response.status_code == 404:
            return False
        raise Unavailable(f"The routing service answered {response.status_code}: {UNCHECKED}")
