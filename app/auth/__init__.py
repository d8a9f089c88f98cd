"""Users, roles, permissions, login and sessions."""
