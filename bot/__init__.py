"""The platform-neutral core: policy, cases, service and store."""
