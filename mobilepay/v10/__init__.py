"""The retired MobilePay PoS API v10, whole: client, schemas, auth, environments, error codes, provider,
emulator and terminal walkthrough. Kept for existing installations; it runs against its emulator."""
