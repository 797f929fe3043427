"""Search and discovery for robust budget optimisation.

``search`` proposes policy levers under a hard budget and hands each generation to a caller's
evaluator; ``convergence`` tracks how far the search has come; ``robust`` scores candidates over
uncertain draws; ``prim`` and ``cart`` find the input conditions under which an outcome of
interest happens (scenario discovery). The modules know nothing of the model: they see lever
dictionaries, a cost function, objective values and result tables.

The submodules import their optional dependencies (pymoo, moocore, scikit-learn) themselves, so
importing this package costs nothing.
"""
