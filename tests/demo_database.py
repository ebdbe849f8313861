"""Tests run on databases with and without demo data: make "has this database demo data?" say either."""

from contextlib import contextmanager
from unittest.mock import patch

from ..models.pos_payment_method_readiness import PosPaymentMethod as ReadinessMethod


@contextmanager
def database_with_demo(has_demo):
    """Within: pos.payment.method._mobilepay_database_has_demo() answers ``has_demo``."""
    with patch.object(ReadinessMethod, "_mobilepay_database_has_demo", lambda self: has_demo):
        yield
