"""The emulated app users: Danish and Finnish demo customers with their personal QR codes.

Phone numbers are MSISDNs, digits only (API.md 6.3). A personal QR is the text the app shows
(``https://qr.vipps.no/p/<opaque>``, API.md 7.1.3); it is derived from the number so it stays the
same across runs and resets, but it does not reveal the number (the real format can change
any time; clients must send the complete text).
"""

import base64
import hashlib
import uuid
from dataclasses import dataclass

PERSONAL_QR_PREFIX = "https://qr.vipps.no/p/"
_SUB_NAMESPACE = uuid.UUID("1b4f2f57-0c59-4e57-93a4-1d1c0a6b8e2a")


@dataclass(frozen=True)
class Customer:
    phone_number: str
    name: str
    age: int
    country: str = "DK"

    @property
    def personal_qr(self) -> str:
        digest = hashlib.sha256(("personal-qr:" + self.phone_number).encode()).digest()
        return PERSONAL_QR_PREFIX + base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()

    @property
    def sub(self) -> str:
        """The user's id towards the Userinfo API (``profile.sub``, API.md 7.2)."""
        return str(uuid.uuid5(_SUB_NAMESPACE, self.phone_number))

    def to_json(self):
        return {"phoneNumber": self.phone_number, "name": self.name, "age": self.age, "country": self.country,
                "personalQr": self.personal_qr}


DEMO_CUSTOMERS = (
    Customer("4512345678", "Mette Hansen", 41, "DK"),
    Customer("4522334455", "Lars Nielsen", 29, "DK"),
    # Under 18: a payment with minimumUserAge 18 is refused for this customer (7010, API.md 6.3).
    Customer("4530405060", "Emil Jensen", 16, "DK"),
    Customer("358401234567", "Aino Virtanen", 35, "FI"),
)
