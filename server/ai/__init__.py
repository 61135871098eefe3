"""Lead analysis: a provider interface, the built-in ``local`` analyser, an OpenAI-style one."""
