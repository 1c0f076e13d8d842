"""gunicorn settings for the rate-limit test: each worker notes its pid per request and holds
the request a moment, so that concurrent requests spread over the workers."""

import os
import time
from typing import Any


def pre_request(worker: Any, req: Any) -> None:
    with open(os.environ["BERDAYA_PROBE_LOG"], "a") as log:
        log.write(f"{os.getpid()}\n")
    time.sleep(0.02)
