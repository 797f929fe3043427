"""Search and discovery for robust budget optimisation.

``search`` proposes policy levers under a hard budget and hands each generation to a caller's
evaluator; ``convergence`` tracks how far the search has come; ``robust`` scores candidates over
uncertain draws; ``prim`` and ``cart`` find the input conditions under which an outcome of
interest happens (scenario discovery). The modules know nothing of the model: they see lever
dictionaries, a cost function, objective values and result tables.

On top of them: ``spec`` reads and checks an ``optimize`` file; ``problem`` ties it to the model
(prices by the street office's own rule, draws of the uncertain parameters, runs with common random
numbers, robust scores); ``store`` keeps every run of an optimisation as it finishes; ``optimize``
runs the searches side by side on the shared runner, re-scores the final set on hold-out draws with
regret and finds what makes it fail (``cogov optimize``, registered by ``commands``); ``discover``
runs PRIM and CART on a sweep's or an optimisation's runs (``cogov discover``); ``report`` turns
the results into figures and one offline HTML page; ``docs`` writes docs/optimization.md from the
bundled example. Everything they need from the rest of the package (the runner, results folders,
schema lookups, prices, the output registry, labels and units) goes through ``adapter``.

The submodules import their optional dependencies (pymoo, moocore, scikit-learn) themselves, so
importing this package costs nothing.
"""
