"""The dashboard's Info panel, as NetLogo models have one: what the model is, how it works, things to
notice, things to try, and what is assumed.  ``docs/teaching.md`` carries the same text (a test checks)."""

from __future__ import annotations

WHAT = ("cisim is a model of many organizations working on one community problem, either each on its own "
        "(alone) or as a coalition with the five conditions of collective impact (together). The page runs "
        "both from the same seed, a month a step, so the same organizations, budgets and starting trust "
        "differ only in how they work.")

HOW = (
    "Residents in need enter a chain of services (a clinic visit, rides, follow-up and others), wait for a "
    "place at every step they need, and either get every service they need (helped) or give up waiting.",
    "Each organization's money buys places at the steps it serves, and each month every organization moves "
    "part of its money towards the waiting it sees: alone, only its own clients and queues, noisy and late.",
    "Together, members agree a common agenda, share measurement of the whole chain, split the work with "
    "partners they trust and meet regularly, and a backbone organization paid from the funder's money "
    "builds the data, routines and relationships the conditions need.",
    "Meetings build trust slowly, more slowly across sectors, and cost staff time, so a coalition pays "
    "before it gains.",
    "Each month a member weighs what membership costs it against the progress it sees; members leave in "
    "any month when the balance stays poor, and others join when they see progress.",
)

NOTICE = (
    "Working alone, the line stays nearly flat: every organization adapts, but none sees the whole chain.",
    "The coalition first does worse than working alone (planning, meetings, staff still being hired) and "
    "pulls ahead only after a year or two.",
    "Where people wait and give up: thin steps hold everyone behind them.",
    "Trust across sectors grows slowly; members leave in the first years and newcomers join later.",
)

TRY = (
    "Stop continuous communication at month 24 and watch trust and the outcome.",
    "Switch the backbone's funding off at month 24, then on again a year later.",
    "Set one condition to 0 at month 0, press Keep this run, Reset, and compare with the full coalition.",
    "Change the seed and press Reset: is the result a fluke of one draw?",
)

ASSUMED = (
    "The mechanisms come from research on collaboration (docs/ODD.md); most numbers are assumptions anyone "
    "can change in a scenario file.",
    "The coalition's gain is set to lie within what evaluated coalitions achieved (10% to 35% better over "
    "four to six years, docs/evidence.md).",
    "It is a model for thinking, not a forecast: use it to ask why something happens and what would change "
    "it, not how many people a real coalition will help.",
)

SECTIONS = (("What is it?", (WHAT,)), ("How it works", HOW), ("Things to notice", NOTICE),
            ("Things to try", TRY), ("What is assumed", ASSUMED))
