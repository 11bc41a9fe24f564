"""The synthetic history generator: a few years of a repair chain's operations, with planted
signals for the models to find and dirt for the ETL to catch (see data/README.md).

    from data.generator import GeneratorConfig, generate_history
    generate_history(engine, GeneratorConfig(stores=4, years=3, seed=42))
"""

from data.generator.config import GeneratorConfig
from data.generator.history import generate_history
from data.generator.writer import DatabaseNotEmptyError

__all__ = ["DatabaseNotEmptyError", "GeneratorConfig", "generate_history"]
