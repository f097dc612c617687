"""A battery supply chain to run the pipeline on: ``oretrail simulate``.

It generates a chain (mines and concentrators, refineries, precursor, cathode and anode
plants, a cell gigafactory, module and pack assembly, a recycler feeding black mass back to
the refineries) and writes the feeds its sites would send, each in its own way (EPCIS 2.0
JSON-LD and XML, EPCIS 1.2 XML, ERP exports and staging rows, MQTT telemetry), the ground
truth it expects the pipeline to find, and a manifest of it all.

Public API::

    scenario(name) -> Scenario; SCENARIOS       "default", "clean"
    simulate(scenario, seed, scale) -> Simulation   everything in memory, deterministic
    write(simulation, folder)                    feeds + ground_truth.json + manifest.json

The checking side lives apart, so that generating never loads the pipeline's code:
``simulator.replay.replay(folder)`` reads the feeds through the project's connectors and
processors without Kafka; ``simulator.compare.compare(lot, expected, traced)`` holds a
lot's ground truth against ``oretrail trace --json``.

Modules: ``model`` (the flow model's data), ``sites``, ``reference`` (cited numbers),
``scenario``, ``plan``, ``chain``/``stock``/``upstream``/``refining``/``downstream``/
``flows`` (the generator), ``truth``/``ground_truth`` (its own accounting), ``events``,
``epcis_json``, ``epcis_xml``, ``erp``/``erp_mapping``/``erp_files``, ``mqtt`` (the
writers), ``feeds``, ``faults``, ``manifest``, ``run`` (all of it into a folder),
``stream`` (feeding a running pipeline). See README.md for the chain and the files.
"""

from simulator.run import Simulation, simulate, write
from simulator.scenario import SCENARIOS, Scenario, scenario

__all__ = ["SCENARIOS", "Scenario", "Simulation", "scenario", "simulate", "write"]
