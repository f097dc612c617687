"""The credential sink: UNTP credentials from passport updates and traceability events,
signed as W3C Verifiable Credentials, published to storage, resolvable from the product's
GS1 Digital Link."""
