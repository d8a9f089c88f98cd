"""Fixtures for customers: create them through the service, as a user would."""

from __future__ import annotations


def customer_form(client, url: str) -> list[tuple[str, str]]:
    """The fields of the customer form as the browser would send them."""
    from tests import support

    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return support.form_fields(support.html(response), "customer-form")
