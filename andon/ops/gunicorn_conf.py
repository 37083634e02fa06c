"""gunicorn settings for `andon serve` (`-c python:andon.ops.gunicorn_conf`): its own lines go
through Andon's handler (same format, secrets scrubbed); the request lines come from
andon.ops.middleware, which carries request ids and leaves query strings out."""

from andon.ops.logs import logging_config

logconfig_dict = logging_config()
