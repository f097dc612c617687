"""Dead-letter records: the Avro DeadLetter value plus Kafka Connect style headers.

Headers follow Kafka Connect's ``__connect.errors.*`` names so existing DLQ tooling reads
them; ``oretrail dlq show`` prints them readably.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from connectors.sdk._records import Rejected

MAX_PAYLOAD = 1 << 20  # a bigger input is cut: the DLQ must stay below the broker's message limit
HEADER_PREFIX = "__connect.errors."


def dead_letter_value(connector: str, rejected: Rejected) -> dict[str, Any]:
    payload = rejected.payload
    return {
        "deadLetterID": str(uuid.uuid4()),
        "connector": connector,
        "stage": rejected.stage,
        "source": rejected.source,
        "position": rejected.position,
        "sourceTopic": None,
        "sourcePartition": None,
        "sourceOffset": None,
        "errorClass": rejected.error_class,
        "errorMessage": rejected.message,
        "payload": payload[:MAX_PAYLOAD],
        "payloadTruncated": len(payload) > MAX_PAYLOAD,
        "failedAt": datetime.now(UTC),
    }


def dead_letter_headers(connector: str, rejected: Rejected) -> list[tuple[str, bytes]]:
    pairs = {
        "connector.name": connector,
        "stage": rejected.stage,
        "exception.class.name": rejected.error_class,
        "exception.message": rejected.message,
        "source.name": rejected.source,
        "source.position": rejected.position,
    }
    headers = [(HEADER_PREFIX + k, v.encode()) for k, v in pairs.items()]
    return headers + list(rejected.extra_headers)
