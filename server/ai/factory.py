"""Build the configured AI provider (``LEADFLOW_AI_PROVIDER``)."""

from __future__ import annotations

from server.ai.base import AIProvider
from server.config import Settings


def build_ai_provider(settings: Settings) -> AIProvider:
    if settings.ai_provider == "openai":
        from server.ai.openai import OpenAICompatibleAnalyser

        return OpenAICompatibleAnalyser(
            base_url=settings.ai_base_url,
            api_key=settings.ai_api_key.get_secret_value(),
            model=settings.ai_model,
            timeout_s=settings.ai_timeout_s,
            kept_connections=max(20, settings.ai_concurrency),
        )
    from server.ai.local import LocalAnalyser

    return LocalAnalyser()
