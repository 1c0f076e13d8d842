"""WSGI entry point: ``gunicorn wsgi:app`` (settings come from the environment)."""

from api import create_app

app = create_app()
