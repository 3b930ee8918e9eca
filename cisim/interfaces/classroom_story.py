"""The numbers the lesson plan (``docs/teaching.md``) quotes, from the dashboard's own runs.

    uv run python -m cisim.interfaces.classroom_story [--seed 0] [--preset collective]

Each line is what the page shows for that seed when a class does what the lesson says:
play the coalition beside the organizations working alone, switch a condition off from
month 0 or at month 24, switch the backbone's funding off and on, move the backbone's
budget and community voice.  Runs are ``Classroom`` runs, the same the page steps.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from cisim.interfaces.classroom import CONDITION_LABELS, Classroom
from cisim.interfaces.views import trusted_ties
from cisim.model import layout as L

Switches = dict[int, Sequence[tuple[str, float]]]


def play(preset: str = "collective", seed: int = 0, switches: Switches | None = None) -> Classroom:
    """Both runs to the end, with ``switches`` made at the months given (before that month's step)."""
    room = Classroom(preset, seed)
    while room.running:
        for name, value in (switches or {}).get(room.month, ()):
            room.switch(name, value)
        room.step()
    return room


def _at(room: Classroom, column: int, months: Sequence[int], run: str = "together") -> list[float]:
    data = getattr(room, run).datacollector.array()
    return [float(data[min(m, len(data) - 1), column]) for m in months]


def _pairs(room: Classroom, column: int, months: Sequence[int], fmt: str, unit: float = 1.0) -> str:
    """Together / alone at each month."""
    return ", ".join(f"{fmt.format(unit * x)}/{fmt.format(unit * y)}"
                     for x, y in zip(_at(room, column, months), _at(room, column, months, "alone")))


def _pct(values: Sequence[float]) -> str:
    return ", ".join(f"{100 * v:.0f}%" for v in values)


def story(preset: str = "collective", seed: int = 0) -> list[str]:
    """The lesson's numbers as lines of text."""
    months = (0, 3, 6, 12, 24, 36, 60)
    room = play(preset, seed)
    t = room.together.datacollector.array()
    gain = t[:, L.O_OUTCOME] - room.alone.datacollector.array()[:, L.O_OUTCOME]
    ahead = next((m for m in range(len(gain)) if (gain[m:] > 0).all()), None)
    dip = int(gain[:25].argmin())
    lines = [
        f"{preset}, seed {seed}, {room.together.size} organizations; months {', '.join(map(str, months))}:",
        f"  helped, together: {_pct(_at(room, L.O_OUTCOME, months))}",
        f"  helped, alone:    {_pct(_at(room, L.O_OUTCOME, months, 'alone'))}",
        f"  deepest dip: {100 * gain[dip]:.1f} points at month {dip}; ahead for good from month {ahead}",
        f"  waiting, together / alone: {_pairs(room, L.O_WAITING, months, '{:.0f}')}",
        f"  gave up a month, together / alone: {_pairs(room, L.O_DROPPED, months, '{:.0f}')}",
        f"  places unused a month, together / alone ($k): {_pairs(room, L.O_WASTE, months, '{:.0f}', 1e-3)}",
        f"  trust across sectors, together / alone: {_pairs(room, L.O_TA, months, '{:.2f}')}",
        "  members: " + ", ".join(f"{x:.0f}" for x in _at(room, L.O_ACTIVE, months))
        + f" ({t[1:, L.O_LEFT].sum():.0f} left, {t[1:, L.O_JOINED].sum():.0f} joined)",
        f"  trusted ties at month {room.month}: {len(trusted_ties(room.together))}",
        f"  equity gap (points), together / alone: {_pairs(room, L.O_GAP, months, '{:.1f}', 100.0)}",
    ]
    end = room.months
    lines.append(f"one condition off from month 0 (outcome at month {end}, members):")
    for name, label in CONDITION_LABELS.items():
        if name == "community_voice":
            continue
        r = play(preset, seed, {0: [(name, 0.0)]})
        lines.append(f"  {label}: {100 * r.together.outcome:.0f}%, {r.together.world.out[0, L.O_ACTIVE]:.0f}")
    watch = (24, 30, 36, 48, 60)
    for what, switches in (("continuous communication off at month 24", {24: [("continuous_communication", 0)]}),
                           ("backbone funding off at month 24", {24: [("backbone_funded", 0)]}),
                           ("backbone funding off at 24, on at 36",
                            {24: [("backbone_funded", 0)], 36: [("backbone_funded", 1)]})):
        r = play(preset, seed, switches)
        lines.append(f"{what}: helped at months {', '.join(map(str, watch))}: {_pct(_at(r, L.O_OUTCOME, watch))}; "
                     f"members {', '.join(f'{x:.0f}' for x in _at(r, L.O_ACTIVE, watch))}; trust across sectors "
                     f"{', '.join(f'{x:.2f}' for x in _at(r, L.O_TA, watch))}")
    shares = (0.0, 0.02, 0.08, 0.2, 0.4)
    results = [play(preset, seed, {0: [("backbone_share", s)]}) for s in shares]
    lines.append("backbone budget from month 0 (share: outcome, members): " + "; ".join(
        f"{s:g}: {100 * r.together.outcome:.0f}%, {r.together.world.out[0, L.O_ACTIVE]:.0f}"
        for s, r in zip(shares, results)))
    voices = [play(preset, seed, {0: [("community_voice", v)]}) for v in (0.0, 1.0)]
    lines.append("community voice 0 and 1 from month 0, equity gap at the end: " + " and ".join(
        f"{100 * r.together.world.out[0, L.O_GAP]:.1f} points" for r in voices))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cisim.interfaces.classroom_story",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--preset", default="collective")
    args = parser.parse_args(argv)
    print("\n".join(story(args.preset, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
