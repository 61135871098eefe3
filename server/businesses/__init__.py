"""Businesses and their forms: the rules shared by the admin console and the owner API."""
