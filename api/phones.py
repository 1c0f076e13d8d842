"""Phone numbers (Google's libphonenumber): read local (0812...) or international (+62 812...)
forms, answer in E.164."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType

_CHARACTERS = re.compile(r"^\+?[0-9 ().-]+$")


def parse(raw: str) -> PhoneNumber | None:
    """A valid number (Indonesian when written without a country code), or None."""
    if len(raw) > 32 or not _CHARACTERS.match(raw):
        return None
    try:
        number = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def is_indonesian(number: PhoneNumber) -> bool:
    return phonenumbers.region_code_for_number(number) == "ID"


def is_indonesian_mobile(number: PhoneNumber) -> bool:
    """WhatsApp and the sellers' follow-up are for Indonesian mobile numbers (+62 8...)."""
    return is_indonesian(number) and phonenumbers.number_type(number) == PhoneNumberType.MOBILE


def e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def masked(e164_number: str | None) -> str | None:
    """The number as one may show it to others before she agreed to be known: its national
    form with the middle hidden (``0821****5504``)."""
    if not e164_number:
        return None
    national = "0" + e164_number[3:] if e164_number.startswith("+62") else e164_number
    return f"{national[:4]}****{national[-4:]}" if len(national) > 8 else "****"
