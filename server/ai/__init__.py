"""Lead analysis: a provider interface with the built-in ``local`` analyser and an OpenAI-compatible one."""
