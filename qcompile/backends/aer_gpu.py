"""The ``qiskit_gpu`` backend: Qiskit Aer's statevector method on an NVIDIA GPU (cuStateVec).

It needs Aer built with CUDA (``pip install 'qcompile[gpu]'``: the ``qiskit-aer-gpu``
wheel, which replaces the CPU ``qiskit-aer`` of the same version) and a GPU; without them
every simulation is refused with a sentence saying which is missing
(:meth:`QiskitGpuBackend.unavailable`).  Circuits, binding (one Aer run for many inputs)
and read-out are the ``qiskit`` backend's (:mod:`qcompile.backends.aer`); only the
simulator's device differs, in double precision.  ``QiskitGpuBackend(device="CPU")`` runs
the same code path on Aer's CPU device, which is how the tests exercise it on machines
without a GPU.
"""

from __future__ import annotations

import shutil
import subprocess

from qcompile.backends.aer import QiskitBackend, _aer_statevector_simulator, _counts
from qcompile.backends.qiskit import to_qiskit
from qcompile.backends.registry import register_backend
from qcompile.circuit.ir import Circuit

#: Aer's options for the GPU: cuStateVec's kernels; Aer's own gate fusion and threads
#: settings are the CPU backend's (they are ignored on the device where they do not apply)
GPU_OPTIONS = {"device": "GPU", "cuStateVec_enable": True}

INSTALL_HINT = "pip install 'qcompile[gpu]' (qiskit-aer-gpu, on Linux with an NVIDIA GPU and CUDA 12)"


def aer_devices() -> tuple[str, ...]:
    """The devices this Aer build can simulate on (``("CPU",)`` or ``("CPU", "GPU")``)."""
    try:
        from qiskit_aer import AerSimulator

        return tuple(AerSimulator().available_devices())
    except Exception:  # noqa: BLE001 - a broken install has no device
        return ()


def gpu_memory_bytes() -> int | None:
    """Total memory of the first NVIDIA GPU (``nvidia-smi``), or None without one."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        out = subprocess.run([smi, "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
        return int(float(out.split()[0])) * 2**20
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


@register_backend
class QiskitGpuBackend(QiskitBackend):
    """Qiskit Aer's statevector simulator on the GPU (cuStateVec), double precision."""

    name = "qiskit_gpu"
    description = "Qiskit Aer on an NVIDIA GPU (cuStateVec, double precision; needs qiskit-aer-gpu)"
    simulates = True
    simulates_noise = False

    #: on the GPU only the simulator's state lives in device memory (the copy read out goes
    #: to the host); Aer's chunk buffers and cuStateVec's workspace take the rest
    GPU_MEMORY_SHARE = 0.8

    def __init__(self, device: str = "GPU") -> None:
        if device not in ("GPU", "CPU"):
            raise ValueError("device is 'GPU' or 'CPU'")
        self.device = device
        if device == "GPU":
            self.memory_share = self.GPU_MEMORY_SHARE

    def unavailable(self) -> str | None:
        """Why Aer cannot simulate on :attr:`device` here, or None."""
        devices = aer_devices()
        if self.device in devices:
            return None
        if not devices:
            return f"Qiskit Aer is not installed; {INSTALL_HINT}"
        return (f"this Aer build simulates on {', '.join(devices)} only (no GPU build or no NVIDIA GPU "
                f"found); {INSTALL_HINT}")

    def memory_bytes(self) -> int | None:
        """The GPU's memory (``nvidia-smi``); host memory on the CPU device."""
        return super().memory_bytes() if self.device == "CPU" else gpu_memory_bytes()

    def _statevector_simulator(self, num_qubits: int):
        """Aer's double-precision statevector simulator on :attr:`device`."""
        sim = _aer_statevector_simulator(num_qubits)
        if self.device == "GPU":
            sim.set_options(**GPU_OPTIONS)
        return sim

    def sample_measured(self, circuit: Circuit, shots: int, seed: int | None = None) -> dict[str, int]:
        """Aer's shots on :attr:`device` (the circuit as emitted, no transpilation)."""
        from qiskit_aer import AerSimulator

        self._check_available()
        options = GPU_OPTIONS if self.device == "GPU" else {}
        raw = AerSimulator(**options).run(to_qiskit(circuit, aer_native=True), shots=shots,
                                          seed_simulator=seed).result().get_counts()
        return _counts(raw, circuit.num_clbits)
