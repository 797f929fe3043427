"""Search and discovery for robust budget optimisation.

``search`` proposes policy levers under a hard budget and hands each generation to a caller's
evaluator; ``convergence`` tracks how far the search has come; ``robust`` scores candidates over
uncertain draws; ``prim`` and ``cart`` find the input conditions under which an outcome of
interest happens (scenario discovery). The modules know nothing of the model: they see lever
dictionaries, a cost function, objective values and result tables.

On top of them: ``discover`` runs PRIM and CART on a sweep's runs and writes tables, figures and a
summary (``cogov discover``, registered by ``commands``); ``report`` turns search results into
figures and one offline HTML page; ``spec`` reads and checks an ``optimize`` file. Everything they
need from the rest of the package (results folders, schema lookups, labels and units) goes
through ``adapter``.

The submodules import their optional dependencies (pymoo, moocore, scikit-learn) themselves, so
importing this package costs nothing.
"""
