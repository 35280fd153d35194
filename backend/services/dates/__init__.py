"""The service's clock and the local-time periods users choose."""
