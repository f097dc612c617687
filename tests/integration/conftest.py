"""Session-wide servers for integration tests, registered once so every module shares them."""

from tests.integration.registry_server import registry_url

__all__ = ["registry_url"]
