"""Notifications and broadcasts (消息管理), and what open pages are pushed over Socket.IO.

How a domain tells people about an event (sales orders, deliveries, … do it the same way):

1. Declare the kind once, at import: ``notifications.register_kind("order_confirmed",
   _l("Sales order"), "cart-check")`` (label and Bootstrap icon shown in the inbox and the toast).
2. Inside the service that makes the change, before the boundary commits, choose the recipients
   with the domain's own permission and scope rules (who may see this order?) and call
   ``notifications.notify(user_ids, kind, _l("Order %(number)s confirmed", number=...), body,
   link)``. Titles and bodies are lazy strings or callables, rendered in each recipient's language;
   the link is a path inside the application. The rows are written in the caller's transaction and
   pushed to the recipients' open pages once it commits; a rollback notifies and pushes nothing.
3. For a dashboard count ("my work"), register it in the domain's ``ui.register()``:
   ``register_work_item(WorkItem(key, label, icon, count=..., link=..., permissions=(...)))``
   (``app.core.registry``); ``count`` should be ``app.core.listview.count(LIST_SPEC, can, args,
   WORK_COUNT_CAP)`` over the very list ``link`` opens, so the number is what the list shows. When
   a change moves the count, call ``app.core.realtime.work_changed(user_ids, key)`` in the service
   (pushed after commit); open dashboards of those users ask for their counts again.

Pushing anything else to users' pages: ``app.core.realtime.emit_after_commit(user_ids, event,
payload)`` — with a payload that tells nothing the recipients may not see.
"""
