"""Lowering of the tensor IR to the quantum IR (staged linear forms) and to circuits."""
