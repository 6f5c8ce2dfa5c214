"""The .qtf front end: the Lark grammar (``qtf.lark``), the parser and the AST."""

from qcompile.grammar.parser import parse

__all__ = ["parse"]
