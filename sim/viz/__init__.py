"""The teaching demo (教学演示): a browser view of one community, started with ``cogov viz``.

Kept apart from the model: nothing here changes how the model behaves, only
what a class sees and which policy levers it can move.
"""
