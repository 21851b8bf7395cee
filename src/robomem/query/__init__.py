"""Query engine: ``Engine(memory).ask(text) -> Answer`` (navigation, explanation, time, counting) and the
text generators behind it. The JSON answer schema is documented in docs/query.md."""

from robomem.query.engine import Engine
from robomem.query.generators import Generator, OpenAIGenerator, PlaceFacts, TemplateGenerator, make_generator

__all__ = ["Engine", "Generator", "OpenAIGenerator", "PlaceFacts", "TemplateGenerator", "make_generator"]
