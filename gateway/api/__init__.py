"""The HTTP API for portals, one router module per resource."""
