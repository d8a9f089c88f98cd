"""gunicorn settings for a realtime instance (Socket.IO only).

    gunicorn -c deploy/gunicorn-realtime.conf.py 'app:create_app()'

One gevent worker: every open page holds a WebSocket here, each a greenlet, so one process keeps
thousands of them. Nothing CPU-heavy runs in this process (it answers Socket.IO and /healthz only;
pages, exports and PDFs live on the web instances), so gevent's cooperative scheduling is safe.
nginx sends /socket.io/ here (deploy/nginx-erp.conf). Events emitted by any instance or command
reach these connections through Redis.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8100")
workers = 1
worker_class = "gevent"
worker_connections = int(os.environ.get("REALTIME_CONNECTIONS", "5000"))
# What this process serves: Socket.IO only, in gevent mode (config.py, ERP_INSTANCE_ROLE).
raw_env = ["ERP_INSTANCE_ROLE=realtime"]
timeout = 60
graceful_timeout = 10
keepalive = 75
control_socket_disable = True
accesslog = None
errorlog = "-"
forwarded_allow_ips = "127.0.0.1"
