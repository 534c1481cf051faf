"""A Model Context Protocol server exposing this project's API as tools."""
