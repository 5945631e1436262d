"""The shipped default model (models/default), installed as package data."""
