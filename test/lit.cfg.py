# lit configuration for DS. The build writes lit.site.cfg.py (paths) and
# loads this file; run the suite with `ninja -C build check-ds-lit` or with
# `lit build/test`.
import os
import re
import shutil

import lit.formats

config.name = "DS"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt", "unit", "Inputs"]
config.excludes += ["malformed_inputs.py", "op_coverage.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.ds_obj_root, "test")

# Tools resolve to the build's bin/ first, then LLVM's (FileCheck, not, ...).
path = os.pathsep.join([config.ds_tools_dir, config.llvm_tools_dir,
                        config.environment.get("PATH", os.environ["PATH"])])
config.environment["PATH"] = path
for tool in ["ds-opt", "ds-model", "ds-interp", "ds-gradcheck", "ds-run", "ds-compile", "ds-parity", "ds-data", "ds-train", "ds-sample", "ds-export", "ds-comm-probe", "FileCheck", "not", "count", "split-file", "mlir-tblgen"]:
    found = shutil.which(tool, path=path)
    if found:
        # Only whole words: "not" must not match inside "does-not-exist".
        pattern = r"(?<![\w./-])%s(?![\w./-])" % re.escape(tool)
        config.substitutions.append((pattern, found))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%ds_src_root", config.ds_src_root))
config.substitutions.append(("%ds_obj_root", config.ds_obj_root))
config.substitutions.append(("%fake_artifact", config.ds_fake_artifact_dir))
config.substitutions.append(("%mlir_include_dir", config.mlir_include_dir.split(";")[0]))

# Distributed tests run where DS was built with MPI (tools/setup.sh installs
# OpenMPI); as root and with more ranks than this machine's cores.
if config.ds_mpirun and os.path.exists(config.ds_mpirun):
    config.available_features.add("mpi")
    config.substitutions.append(
        ("%mpirun", config.ds_mpirun + " --allow-run-as-root --oversubscribe"))

if config.ds_have_nccl:
    config.available_features.add("nccl")

# MoE routing is discontinuous: summing in another order can flip a
# near-tie between two experts' scores, after which two runs follow
# different (equally valid) trajectories. The sanitizer build rounds
# differently from the release build, and on tiny-moe with a batch of 4 one
# such flip falls at step 15 of the [2, 2]-grid runs
# (test/tools/ds-train/expert-parallel.test), so there those runs train 10
# steps and resume to 14 instead of 20 and 30 (two digits either way: the
# checkpoints' names are spelled with them).
sanitize = getattr(config, "ds_sanitize", False)
config.substitutions.append(("%moe_resume_4_ranks", "14" if sanitize else "30"))
config.substitutions.append(("%moe_steps_4_ranks", "10" if sanitize else "20"))
# The same flip falls at step 15 of the release build's 8-rank [dp, tp, ep]
# run with ZeRO-1, which therefore trains 14 steps (10 in the sanitizer
# build).
config.substitutions.append(("%moe_steps_8_ranks", "10" if sanitize else "14"))

# The CUDA toolkit's ptxas assembles generated PTX (no GPU needed): CUDA 13
# at /usr/local/cuda on every DS machine, or CUDA_ROOT.
cuda_root = os.environ.get("CUDA_ROOT", "/usr/local/cuda")
config.substitutions.append(("%cuda_root", cuda_root))
ptxas = shutil.which("ptxas", path=os.path.join(cuda_root, "bin"))
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# nvcc compiles the hand-written CUDA kernels (kernels/cuda) to PTX for the
# checks of test/kernels.
nvcc = shutil.which("nvcc", path=os.path.join(cuda_root, "bin"))
if nvcc:
    config.available_features.add("nvcc")
    config.substitutions.append(("%nvcc", nvcc))

# The runtime's CUDA backend (built where the CUDA toolkit's headers are),
# and the toolkit's stub driver, which tests use as "a libcuda that is no
# driver".
if getattr(config, "ds_have_cuda", False):
    config.available_features.add("cuda-backend")
if os.path.exists(os.path.join(cuda_root, "lib64", "stubs", "libcuda.so")):
    config.available_features.add("cuda-stubs")

# GPU tests run only where a CUDA device is present.
if shutil.which("nvidia-smi") and os.system("nvidia-smi -L > /dev/null 2>&1") == 0:
    config.available_features.add("cuda")

# Checks against Hugging Face transformers run where its Python environment
# is (bench/setup-reference.sh makes .bench-venv; DS_REFERENCE_PYTHON names
# another); CI has none, and the committed goldens stand in for it there.
reference_python = os.environ.get(
    "DS_REFERENCE_PYTHON", os.path.join(config.ds_src_root, ".bench-venv", "bin", "python"))
if os.path.exists(reference_python) and os.system(
        '"%s" -c "import transformers, torch" > /dev/null 2>&1' % reference_python) == 0:
    config.available_features.add("transformers")
    config.substitutions.append(("%reference_python", reference_python))
