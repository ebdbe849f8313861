"""What the two emulators share (the MobilePay PoS v10 one in ``mobilepay.v10.emulator`` and the Vipps
MobilePay ePayment one in ``mobilepay.epayment.emulator``): the background HTTP server, the signed
access tokens, the fault-injecting WSGI application, the test-control plumbing, the command line
and the start/stop lifecycle. Each emulator keeps its own API, errors and state on top of these.
"""
