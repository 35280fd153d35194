"""Building import files for tests and the benchmark: CSV text from the templates' columns."""
import csv
import io

from backend.services.bulk_import.run import template_header


def csv_file(kind: str, rows: list[dict]) -> bytes:
    """A CSV import file: the template's header row, then rows given by column key."""
    return filled(template_header(kind), rows)


def filled(header: list[str], rows: list[dict]) -> bytes:
    """A header row (a column's key is its text before " ("), with rows typed under it."""
    keys = [h.split(" (")[0] for h in header]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(key, "") for key in keys])
    return out.getvalue().encode()


def person_row(n: int, **kw) -> dict:
    """A valid service user row (NHS numbers from a small valid set are not unique, so none)."""
    return {"council_ref": f"P{n:05d}", "first_name": "Person", "last_name": f"No{n}",
            "address": f"{n} High Street, Northampton", "postcode": "NN1 1AA",
            "home_lat": f"{52.20 + n % 100 / 1000:.4f}", "home_lon": f"{-0.90 - n % 97 / 1000:.4f}",
            "date_of_birth": "1940-05-17", **kw}


def carer_row(n: int, **kw) -> dict:
    """A valid care worker row."""
    return {"staff_ref": f"S{n:04d}", "username": f"carer{n}", "name": f"Carer {n}",
            "contracted_hours_per_week": "30", "max_hours_per_week": "40",
            "travel_mode": "driving", "hourly_pay": "12.60", "skills": "medication, dementia",
            "availability": "Mon 07:00-13:00; Tue 07:00-13:00; Wed 16:00-21:00", **kw}


def package_rows(n: int, contract: str, calls: int = 7, **kw) -> list[dict]:
    """One package's rows: a daily call at 08:00 (and more calls a day as asked)."""
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    times = ["08:00", "12:30", "17:00", "20:30"]
    head = {"reference": f"K{n:05d}", "council_ref": f"P{n:05d}", "contract": contract,
            "package_type": "standard", "hours_per_week": f"{calls * 30 / 60:g}",
            "start_date": "2026-01-05", **kw}
    return [{**head, "day": days[i % 7], "start_time": times[i // 7 % 4], "minutes": "30",
             "priority": "normal", "tasks": "Personal care; Breakfast"}
            for i in range(calls)]
