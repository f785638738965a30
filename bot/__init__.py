"""The shell around the core: chat adapters, the CLI, settings and the clock."""
