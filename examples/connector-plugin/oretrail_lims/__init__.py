"""oretrail-lims: assay results from a laboratory information system, as sensor readings.

An example of a connector that lives outside oretrail and is found through the
``oretrail.connectors`` entry point; see docs/writing-a-connector.md.
"""

from oretrail_lims._source import LimsAssayConfig, LimsAssaySource, parse_assay

__all__ = ["LimsAssayConfig", "LimsAssaySource", "parse_assay"]
