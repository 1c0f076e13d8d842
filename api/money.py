"""Rupiah for people: ``Rp 25.000`` (dots between thousands, no decimals)."""


def format_idr(amount: int) -> str:
    """Format whole rupiah the Indonesian way."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(amount):,}".replace(",", ".")
