"""DevCycle: client (httpx), translate (live <-> model), provider (read and write)."""
