"""A local Apicurio Registry, for the Confluent-compatible registry driver of the serde.

oretrail needs no registry (Avro single-object encoding is the default), and production
points ``ORETRAIL_SCHEMA_REGISTRY_URL`` at any Confluent-compatible registry. This package
runs a real one on this machine for the integration tests and for local development:
Apicurio Registry's own prebuilt distribution from Maven Central, H2 storage on disk, on
loopback only.

Lifecycle: :func:`resolve` (Maven, cached) → :func:`start` (Java 21+, wait until the
ccompat API answers, record URL and pid) → :func:`status` → :func:`stop`. Give
:attr:`RegistryInfo.ccompat_url` to :class:`oretrail.serde.RegistrySerde`.
"""

from oretrail.registry._base import CCOMPAT_PATH, RegistryError, RegistryInfo
from oretrail.registry._java import MIN_JAVA, find_java
from oretrail.registry._maven import APICURIO_VERSION, resolve
from oretrail.registry._server import start, status, stop

__all__ = [
    "APICURIO_VERSION",
    "CCOMPAT_PATH",
    "MIN_JAVA",
    "RegistryError",
    "RegistryInfo",
    "find_java",
    "resolve",
    "start",
    "status",
    "stop",
]
