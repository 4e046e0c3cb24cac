"""Customer and staff personal data shown to roles that do not need it in full (security bar)."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """138****5678: the first three and last four digits stay, as Chinese call centres print them."""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) <= 7:
        return digits[:1] + "*" * (len(digits) - 3) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_email(email: str) -> str:
    local, at, domain = email.partition("@")
    if not at:
        return mask_phone(email)
    return (local[:1] + "***" if local else "") + "@" + domain


def mask_name(name: str) -> str:
    """张*明 / 李*: the family name and, for long names, the last character stay."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(value: str) -> str:
    """110***********1234: ID card numbers and credit codes keep their region prefix and last four."""
    return mask_phone(value)


def mask_address(address: str) -> str:
    """北京市朝阳区****: the district stays, the street and door go."""
    text = address.strip()
    if not text:
        return ""
    keep = min(6, len(text) // 2)
    return text[:keep] + "****"
