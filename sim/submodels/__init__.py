"""Submodels, one module each, in the order the weekly schedule runs them (see ``CommunityModel.step``)."""
