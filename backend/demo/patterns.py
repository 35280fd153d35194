"""Weekly call patterns of the demo's packages, weighted to average about 8 hours a week.

Each call names a slot of the day (when it happens) and its planned minutes. Many
packages are under 5 hours a week; four calls a day (30/30/45/30) is common.
"""
from dataclasses import dataclass
from datetime import time

DAILY = (0, 1, 2, 3, 4, 5, 6)


@dataclass(frozen=True)
class Pattern:
    """A named weekly pattern: calls (slot, minutes) on some weekdays."""

    name: str
    weight: float
    calls: tuple[tuple[str, int], ...]
    weekdays: tuple[int, ...] = DAILY


STANDARD = (
    Pattern("morning call", 0.16, (("morning", 30),)),
    Pattern("medication prompts", 0.12, (("morning", 30), ("lunch", 15), ("tea", 15))),
    Pattern("twice daily", 0.18, (("morning", 30), ("bed", 30))),
    Pattern("four calls", 0.12, (("morning", 30), ("lunch", 30), ("tea", 45), ("bed", 30))),
    Pattern("three calls", 0.12, (("morning", 45), ("lunch", 30), ("bed", 30))),
    Pattern("shower twice a week", 0.05, (("morning", 60),), (0, 3)),
    Pattern("three mornings a week", 0.07, (("morning", 45),), (0, 2, 4)),
    Pattern("four short calls", 0.10,
            (("morning", 30), ("lunch", 15), ("tea", 30), ("bed", 15))),
    Pattern("morning and lunch", 0.08, (("morning", 45), ("lunch", 30))),
)
FOUR_CALLS = STANDARD[3]
SHORT_CALLS_AGREED = (STANDARD[1],)  # medication prompts
REABLEMENT = Pattern("reablement", 1.0, (("morning", 45), ("lunch", 30), ("bed", 30)))
AFTER_REABLEMENT = (STANDARD[0], STANDARD[2])

# Local start times each slot may take, in quarter hours: (first, last).
SLOTS = {"morning": (time(7, 0), time(9, 30)), "lunch": (time(12, 0), time(13, 30)),
         "tea": (time(16, 30), time(18, 0)), "bed": (time(19, 30), time(21, 30))}
TASKS = {"morning": ["Personal care", "Medication", "Breakfast"],
         "lunch": ["Lunch", "Medication prompt"],
         "tea": ["Tea", "Medication prompt"],
         "bed": ["Help to bed", "Medication", "Night drink"]}
SHORT_CALL_TASKS = ["Medication prompt"]
LONG_CALL_TASKS = ["Shower", "Personal care", "Domestic tasks"]


def slot_time(rng, slot: str) -> time:
    """A quarter-hour start time within the slot."""
    first, last = SLOTS[slot]
    quarters = (last.hour * 60 + last.minute - first.hour * 60 - first.minute) // 15
    minutes = first.hour * 60 + first.minute + 15 * rng.randint(0, quarters)
    return time(minutes // 60, minutes % 60)


def tasks_for(slot: str, minutes: int) -> list[str]:
    """What a call of this slot and length is for."""
    if minutes <= 15:
        return list(SHORT_CALL_TASKS)
    if minutes >= 60:
        return list(LONG_CALL_TASKS)
    return list(TASKS[slot])
