"""The sample project's only configuration: none. devenv's plugin is loaded by its pytest11 entry point."""
