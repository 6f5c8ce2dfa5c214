"""The quantum linear-algebra library: loaders, block encodings, LCU, QSVT (DESIGN §5)."""

from qcompile.quantum.base import QuantumBlock

__all__ = ["QuantumBlock"]

# ---- state preparation, block encodings, LCU, products, COPY diagonal -----------------------
from qcompile.quantum.state_preparation import LoaderBlock, StatePreparation, state_preparation  # noqa: E402
from qcompile.quantum.lcu import lcu  # noqa: E402
from qcompile.quantum.diagonal import diagonal_from_state  # noqa: E402
from qcompile.quantum.block_encoding import block_encoding  # noqa: E402
from qcompile.quantum.input_block_encoding import InputBlockEncoding, input_block_encoding  # noqa: E402
from qcompile.quantum.combine import apply, product, relabel, settled, tensor  # noqa: E402

__all__ += ["LoaderBlock", "StatePreparation", "state_preparation", "lcu", "diagonal_from_state", "block_encoding",
            "InputBlockEncoding", "input_block_encoding", "product", "apply", "tensor", "relabel", "settled"]
# ---- end of state preparation / block encoding exports ---------------------------------------

# ---- polynomials, QSP phases, QSVT, elementwise functions, fixed-point amplification ---------
from qcompile.quantum.polynomials import (Polynomial, chebyshev_approximation, exp_approximation,  # noqa: E402
                                          parity_parts, relu_approximation, scale_to_unit)
from qcompile.quantum.qsp import PhaseFindingError, qsp_phases  # noqa: E402
from qcompile.quantum.qsvt import qsvt  # noqa: E402
from qcompile.quantum.elementwise import elementwise  # noqa: E402
from qcompile.quantum.amplification import fixed_point_amplification  # noqa: E402

__all__ += ["Polynomial", "chebyshev_approximation", "exp_approximation", "relu_approximation", "parity_parts", "scale_to_unit", "PhaseFindingError", "qsp_phases",
            "qsvt", "elementwise", "fixed_point_amplification"]
# ---- end of polynomial / QSVT exports -------------------------------------------------------
