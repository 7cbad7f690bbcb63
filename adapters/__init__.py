"""The way out of the gateway: adapters to other systems (NGSP)."""
