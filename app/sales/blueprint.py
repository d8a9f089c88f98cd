"""The sales blueprint, shared by the view modules."""

from flask import Blueprint

bp = Blueprint("sales", __name__)
