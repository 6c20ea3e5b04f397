from flask import Blueprint

bp = Blueprint("results_api", __name__)
