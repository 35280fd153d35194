"""Random (version 4) UUIDs for many new rows at once: one read of the system's random
source instead of one per id (uuid4() costs more than the row's INSERT)."""
import os
import uuid


def new_ids(count: int) -> list[uuid.UUID]:
    """`count` new version-4 UUIDs."""
    raw = os.urandom(16 * count)
    return [uuid.UUID(bytes=raw[i:i + 16], version=4) for i in range(0, 16 * count, 16)]
