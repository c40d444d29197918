"""Platform-neutral view models per screen, and their pure renderers."""
