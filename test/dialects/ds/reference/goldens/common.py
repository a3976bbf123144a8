"""Constants shared by the golden-data modules: the base seed and short
names for the numpy / ml_dtypes element types."""

import ml_dtypes as md
import numpy as np

SEED = 20240917

F64, F32, F16 = np.float64, np.float32, np.float16
BF16, E4M3, E5M2 = md.bfloat16, md.float8_e4m3fn, md.float8_e5m2
I64, I32, I16, I8, BOOL = np.int64, np.int32, np.int16, np.int8, np.bool_
