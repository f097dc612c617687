"""Runs the MQTT connector with the SDK runner until SIGTERM: the crash test kills it with -9.

python -m tests.integration.mqtt_runner BOOTSTRAP MQTT_PORT CLIENT_ID TOPIC DLQ_TOPIC STATE
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from connectors.iot import MqttConfig, MqttSource
from connectors.sdk import SourceRunner, StateStore
from oretrail.kafka import producer_config
from oretrail.serde import SingleObjectSerde


def main(argv: list[str]) -> int:
    bootstrap, port, client_id, topic, dlq, state = argv
    config = MqttConfig(port=int(port), client_id=client_id, topics=["plant/#"], kafka_topic=topic)
    source = MqttSource(config)

    def stop(_sig: int, _frame: Any) -> None:
        source.stop()

    signal.signal(signal.SIGTERM, stop)
    runner = SourceRunner(Producer(producer_config(bootstrap)), SingleObjectSerde(), dlq_topic=dlq)
    counts = runner.run(source, StateStore(Path(state)))
    print(f"accepted={counts.accepted} rejected={counts.rejected}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
