"""The model: what a coalition is and how a month goes.

``schema`` lists every parameter; ``scenario`` reads and checks scenario files; ``state``
holds the numpy arrays of one or many runs and ``layout`` says where each number lives in
them; ``processes`` holds the compiled processes, one module per ODD submodel, and
``processes.month`` runs a month; the Mesa face is ``coalition.CoalitionModel`` with its
agents in ``agents``; ``formats`` writes numbers for people (``odd``'s parameter table
among them).  Nothing here
imports from ``cisim.experiments`` or ``cisim.interfaces``.
"""
