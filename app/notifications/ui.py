"""What notifications contribute to the shared layout: the broadcast page in the admin menu."""

from flask_babel import lazy_gettext as _l

from app.core.registry import MenuItem, register_menu_item


def register() -> None:
    register_menu_item(
        MenuItem(
            "admin",
            "notifications.broadcast_list",
            _l("Messages"),
            "megaphone",
            ("notifications.broadcast",),
            order=40,
        )
    )
