"""The inventory blueprint, shared by the view modules."""

from flask import Blueprint

bp = Blueprint("inventory", __name__)
