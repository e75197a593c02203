"""snowsim.model imports without Amaranth, cocotb or matplotlib."""

import subprocess
import sys
from pathlib import Path

import pytest

MODEL = Path(__file__).resolve().parents[2] / "model"
MODULES = sorted(p.stem for p in MODEL.glob("*.py") if p.stem != "__init__")

BLOCKER = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('amaranth', 'cocotb', 'cocotb_tools', 'cocotbext',
                                  'matplotlib'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import importlib
for m in sys.argv[1:]:
    importlib.import_module('snowsim.model.' + m)
"""


@pytest.mark.parametrize("module", MODULES)
def test_model_module_is_pure(module):
    proc = subprocess.run([sys.executable, "-c", BLOCKER, module], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
