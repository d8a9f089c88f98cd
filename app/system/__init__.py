"""Operation log, health, settings and other system pages."""
