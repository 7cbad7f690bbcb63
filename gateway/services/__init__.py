"""Request orchestration between the API routers and the adapter: audit, projection."""
