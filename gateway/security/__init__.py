"""Who may call the gateway: the client registry and the access tokens it issues."""
