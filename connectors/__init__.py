"""Source connectors and the credential sink."""
