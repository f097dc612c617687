"""oretrail core: configuration, serde, identifiers, broker control, telemetry and CLI."""
