"""Checks on plain values that several services share; each names the field it rejects."""
import enum
import re

from backend.errors import Invalid

POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")


def nhs_number(value: str | None, field: str = "nhs_number") -> str | None:
    """A 10-digit NHS number with a valid modulus-11 check digit, spaces removed."""
    if value in (None, ""):
        return None
    digits = re.sub(r"[\s-]", "", str(value))
    if not re.fullmatch(r"\d{10}", digits):
        raise Invalid("An NHS number has 10 digits.", field=field)
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    if check == 10 or check != int(digits[9]):
        raise Invalid("That NHS number's check digit is wrong; please check it.", field=field)
    return digits


def coordinates(lat, lon, lat_field: str = "lat", lon_field: str = "lon") -> tuple[float, float]:
    """Latitude in -90..90 and longitude in -180..180."""
    errors = {}
    try:
        lat = float(lat)
        if not -90 <= lat <= 90:
            errors[lat_field] = ["Latitude must be between -90 and 90."]
    except (TypeError, ValueError):
        errors[lat_field] = ["Latitude must be a number."]
    try:
        lon = float(lon)
        if not -180 <= lon <= 180:
            errors[lon_field] = ["Longitude must be between -180 and 180."]
    except (TypeError, ValueError):
        errors[lon_field] = ["Longitude must be a number."]
    if errors:
        raise Invalid("The location is not valid.", fields=errors)
    return lat, lon


def in_range(value, low: int, high: int, field: str, what: str = "value") -> int:
    """An integer between low and high inclusive."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"The {what} must be a whole number.", field=field)
    if not low <= value <= high:
        raise Invalid(f"The {what} must be between {low} and {high}.", field=field)
    return value


def choice(enum_cls: type[enum.Enum], value, field: str):
    """A member of enum_cls, from the member or its value."""
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise Invalid(f"Unknown value {value!r}; expected one of: {allowed}.", field=field) \
            from None


def postcode(value: str, field: str = "postcode") -> str:
    """A UK postcode, upper-cased with one space before the inward code."""
    compact = re.sub(r"\s+", "", str(value or "")).upper()
    if not POSTCODE.match(compact):
        raise Invalid("That is not a UK postcode.", field=field)
    return f"{compact[:-3]} {compact[-3:]}"
