"""Timestamps as the PoS API v10 writes them (.NET's DateTimeOffset)."""

from datetime import datetime, timezone


def dotnet_timestamp(moment: datetime) -> str:
    """ISO-8601 with offset and 7 fractional digits, as .NET's DateTimeOffset writes it.

    e.g. ``2022-10-17T06:07:45.4847170+00:00``.
    """
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0+00:00"
