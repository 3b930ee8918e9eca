"""The model's processes: one compiled function per ODD submodel, in modules named for what they model.

``month.month`` calls them in the ODD's order (docs/ODD.md, section 3) for one run and
``month.step`` for every run; ``setup.setup_run`` builds a run's organizations.  Each reads
and writes only row ``r`` of the state arrays, whose columns are in ``cisim.model.layout``.
"""
