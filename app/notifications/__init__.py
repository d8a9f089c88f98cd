"""Notifications and broadcasts (消息管理)."""
