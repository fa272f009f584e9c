"""Registered models; importing this package runs their `@register_model` decorators."""
from t2t.models import transformer  # noqa: F401
from t2t.models import deepspeech2  # noqa: F401
