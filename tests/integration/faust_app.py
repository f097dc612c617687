"""A tiny faust-streaming app used by the end-to-end test: a table-backed running total.

Configured by environment so the test can give it unique topic and group names:
FAUST_TEST_BOOTSTRAP, FAUST_TEST_APP, FAUST_TEST_IN, FAUST_TEST_OUT, FAUST_TEST_DATADIR.
"""

from __future__ import annotations

import os

import faust

app = faust.App(
    os.environ["FAUST_TEST_APP"],
    broker=f"aiokafka://{os.environ['FAUST_TEST_BOOTSTRAP']}",
    store="memory://",
    datadir=os.environ["FAUST_TEST_DATADIR"],
    topic_partitions=1,
    topic_replication_factor=1,
    web_enabled=False,
    producer_acks=-1,
)


class Delivery(faust.Record, serializer="json"):
    lot: str
    element: str
    kg: float


deliveries = app.topic(os.environ["FAUST_TEST_IN"], value_type=Delivery)
totals_out = app.topic(os.environ["FAUST_TEST_OUT"], value_serializer="json")
totals = app.Table("element-totals", default=float, partitions=1)


@app.agent(deliveries)
async def accumulate(stream: faust.Stream[Delivery]) -> None:
    async for delivery in stream:
        totals[delivery.element] += delivery.kg
        await totals_out.send(
            key=delivery.element,
            value={
                "element": delivery.element,
                "totalKg": totals[delivery.element],
                "lot": delivery.lot,
            },
        )


if __name__ == "__main__":
    app.main()
