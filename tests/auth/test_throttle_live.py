"""Password guessing in parallel against a real threaded server is held to the limit."""

import concurrent.futures
import re

import pytest
import requests

from tests import support
from tests.conftest import RUN_ID
from tests.live import live_environment

pytestmark = pytest.mark.live

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="module")
def server(redis_url):
    with live_environment("throttle", redis_url, RUN_ID) as live:
        yield live.start_server(threads=16)


def _guess(base_url: str, username: str) -> int:
    http = requests.Session()
    token = _CSRF.search(http.get(base_url + "/login", timeout=20).text).group(1)
    response = http.post(
        base_url + "/login",
        data={"username": username, "password": "wrong-guess-123", "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    return response.status_code


def test_parallel_guesses_at_one_username_get_only_the_allowed_number_checked(server):
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(lambda _i: _guess(server.url, "sales"), range(24)))
    assert codes.count(200) == 5  # LOGIN_LIMIT_PER_USERNAME: 5 per 15 minutes
    assert codes.count(429) == 19
    # The account itself is now throttled, for the right password too.
    http = requests.Session()
    token = _CSRF.search(http.get(server.url + "/login").text).group(1)
    right = http.post(
        server.url + "/login",
        data={"username": "sales", "password": support.PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert right.status_code == 429
    assert int(right.headers["Retry-After"]) > 0
