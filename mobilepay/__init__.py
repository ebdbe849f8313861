"""Framework-free MobilePay Point of Sale API v10 toolkit.

Everything here is plain Python (no Odoo imports): the typed client, the
emulator of the retired v10 service, QR helpers and the provider seam the
Odoo layer talks to.
"""
