"""Getting a DevCycle token from an emulator, as a vendor client asks for one (shared by the
emulator, SDK, fault, end-to-end and GitHub tests)."""

from __future__ import annotations

import httpx


def fetch_token(base_url: str, client_id: str, client_secret: str) -> str:
    """An access token from the emulator's OAuth client-credentials endpoint."""
    response = httpx.post(
        f"{base_url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "audience": "https://api.devcycle.com/",
            "client_id": client_id,
            "client_secret": client_secret,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
