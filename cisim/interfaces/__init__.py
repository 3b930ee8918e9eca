"""Interfaces for people: the command line (``cli``), figures (``plots``, ``reports``,
``sensitivity_plots``), a sensitivity study's files (``sensitivity_study``), the classroom
dashboard (``app``, ``views``, ``dashboard``) and the lesson kit (``lesson``).  Nothing
below this layer imports from it.
"""
