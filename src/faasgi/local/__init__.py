"""Running functions on a developer's machine: the local emulator and the services it needs."""
