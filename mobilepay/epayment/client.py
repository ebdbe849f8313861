"""Typed client of the Vipps MobilePay ePayment API v1 (ePayment API.md section 7).

Every body is validated by the pydantic models before the call; every create, capture,
cancel and refund takes an ``idempotency_key`` from the caller, who stores it first and
reuses it on a retry (API.md 5). The four in-store flows of API.md section 1 are the
``create_*`` helpers; they always send ``customerInteraction: CUSTOMER_PRESENT``.
"""

from typing import List, Optional
from urllib.parse import quote

from ..errors import MobilePayValidationError
from .http import VippsApi, model
from .schemas import (
    Amount,
    CancelRequest,
    CreatePaymentRequest,
    CreatePaymentResponse,
    Customer,
    ForceApproveRequest,
    GetPaymentResponse,
    ModificationRequest,
    ModificationResponse,
    PaymentEvent,
    QrFormat,
    QrImageFormat,
    Receipt,
    UserFlow,
)


def _ref(reference):
    if not isinstance(reference, str) or not reference:
        raise MobilePayValidationError("A payment reference is needed.")
    return quote(reference, safe="")


class EPaymentClient(VippsApi):
    """One sales unit's connection to ``/epayment/v1``."""

    @property
    def _base(self):
        return self.config.hosts.epayment

    # ------------------------------------------------------------------ create

    def create_payment(self, request: CreatePaymentRequest, idempotency_key: str) -> CreatePaymentResponse:
        if not isinstance(request, CreatePaymentRequest):
            raise MobilePayValidationError("create_payment takes a CreatePaymentRequest.")
        return self.call("POST", f"{self._base}/payments", body=request.to_json(),
                         idempotency_key=idempotency_key, answer=CreatePaymentResponse)

    def _request(self, *, reference, amount, flow, customer=None, qr_format=None, description=None,
                 receipt=None, metadata=None, minimum_user_age=None):
        return model(
            CreatePaymentRequest,
            amount=amount if isinstance(amount, Amount) else model(Amount, **amount),
            reference=reference,
            user_flow=flow,
            customer=customer,
            customer_interaction="CUSTOMER_PRESENT",
            qr_format=qr_format,
            payment_description=description,
            receipt=receipt if receipt is None or isinstance(receipt, Receipt) else model(Receipt, **receipt),
            metadata=metadata,
            minimum_user_age=minimum_user_age,
        )

    def create_qr_payment(self, *, reference, amount, idempotency_key, qr_format=QrImageFormat.SVG, size=None,
                          **extra) -> CreatePaymentResponse:
        """One-time payment QR (API.md 1): the answer's ``redirect_url`` is the QR image link."""
        fmt = model(QrFormat, format=qr_format, size=size)
        return self.create_payment(self._request(reference=reference, amount=amount, flow=UserFlow.QR,
                                                 qr_format=fmt, **extra), idempotency_key)

    def create_push_payment(self, *, reference, amount, idempotency_key, phone_number=None, personal_qr=None,
                            customer_token=None, flow=UserFlow.PUSH_MESSAGE, **extra) -> CreatePaymentResponse:
        """Phone number, personal QR or a check-in's customerToken (API.md 1 and 11.5)."""
        customer = model(Customer, phone_number=phone_number, personal_qr=personal_qr,
                         customer_token=customer_token)
        return self.create_payment(self._request(reference=reference, amount=amount, flow=flow, customer=customer,
                                                 **extra), idempotency_key)

    # ------------------------------------------------------------------ read

    def get_payment(self, reference) -> GetPaymentResponse:
        return self.call("GET", f"{self._base}/payments/{_ref(reference)}", answer=GetPaymentResponse)

    def get_events(self, reference) -> List[PaymentEvent]:
        return self.call("GET", f"{self._base}/payments/{_ref(reference)}/events", answer=List[PaymentEvent])

    # ------------------------------------------------------------------ modify

    def _modification(self, reference, what, amount, idempotency_key, body=None):
        if body is None:
            amount = amount if isinstance(amount, Amount) else model(Amount, **amount)
            body = model(ModificationRequest, modification_amount=amount).to_json()
        return self.call("POST", f"{self._base}/payments/{_ref(reference)}/{what}", body=body,
                         idempotency_key=idempotency_key, answer=ModificationResponse)

    def capture(self, reference, amount, idempotency_key) -> ModificationResponse:
        """Capture ``amount`` (full or partial; partial captures may repeat, API.md 7.4)."""
        return self._modification(reference, "capture", amount, idempotency_key)

    def refund(self, reference, amount, idempotency_key) -> ModificationResponse:
        """Refund ``amount`` now: one step, final (API.md 7.6)."""
        return self._modification(reference, "refund", amount, idempotency_key)

    def cancel(self, reference, idempotency_key, transaction_only: Optional[bool] = None) -> ModificationResponse:
        """Cancel (API.md 7.5). ``transaction_only=True`` refuses (6060) once the customer approved."""
        body = model(CancelRequest, cancel_transaction_only=transaction_only).to_json()
        return self._modification(reference, "cancel", None, idempotency_key, body=body)

    def force_approve(self, reference, *, phone_number=None, token=None):
        """Test environment only (API.md 7.7)."""
        if self.config.hosts.name == "production":
            raise MobilePayValidationError("Force approve exists in the test environment only.")
        customer = model(Customer, phone_number=phone_number) if phone_number else None
        body = model(ForceApproveRequest, customer=customer, token=token).to_json()
        self.call("POST", f"{self.config.hosts.base}/epayment/v1/test/payments/{_ref(reference)}/approve", body=body)
