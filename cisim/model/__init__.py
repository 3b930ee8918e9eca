"""The model: what a coalition is and how a month goes.

``schema`` lists every parameter; ``scenario`` reads and checks scenario files; ``state``
holds the numpy arrays of one or many runs; ``kernel`` holds the compiled processes; the
Mesa face is ``coalition.CoalitionModel`` with its agents in ``agents``.  Nothing here
imports from ``cisim.experiments`` or ``cisim.interfaces``.
"""
