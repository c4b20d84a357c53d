# Writes the .npy fixtures and expected.json used by npy_test.go.
# Run once with Debian's numpy: cd internal/npy/testdata && /usr/bin/python3 gen.py
import json
import numpy as np
from numpy.lib import format as fmt

cases = {
    "f4_2x3": np.arange(6, dtype=np.float32).reshape(2, 3) * np.float32(0.5) - np.float32(1.25),
    "f8_4": np.array([0.1, -2.5, 1e300, -0.0], dtype=np.float64),
    "i8_5": np.array([0, -1, 2**40, -(2**62), 7], dtype=np.int64),
    "i4_2x2": np.array([[1, -2], [2**31 - 1, -(2**31)]], dtype=np.int32),
    "u1_2x3x4": np.arange(24, dtype=np.uint8).reshape(2, 3, 4) * 10,
    "f4_scalar": np.float32(3.5).reshape(()),
    "f4_0x3": np.zeros((0, 3), dtype=np.float32),
    "i8_1000": np.arange(1000, dtype=np.int64) - 500,
    # The other integer widths labels come in.
    "i2_3": np.array([0, -2, 2**15 - 1], dtype=np.int16),
    "i1_3": np.array([5, -128, 127], dtype=np.int8),
    "u8_2": np.array([3, 2**63 + 5], dtype=np.uint64),
    "u4_2x2": np.array([[0, 1], [9, 2**32 - 1]], dtype=np.uint32),
    "u2_3": np.array([7, 0, 2**16 - 1], dtype=np.uint16),
}
expected = {}
for name, a in cases.items():
    np.save(name + ".npy", a)
    expected[name] = {"shape": list(a.shape), "dtype": str(a.dtype), "data": a.ravel().tolist()}

# Versions 2.0 and 3.0 of the same array.
for v in [(2, 0), (3, 0)]:
    name = "f4_2x3_v%d" % v[0]
    with open(name + ".npy", "wb") as f:
        fmt.write_array(f, cases["f4_2x3"], version=v)
    expected[name] = expected["f4_2x3"]

# Fortran order and big-endian data, read by TestFortranOrder and
# TestBigEndian.
np.save("fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
np.save("bigendian.npy", np.arange(3, dtype=">f4"))

# Files numpy writes that we must reject as unsupported.
np.save("complex.npy", np.arange(3, dtype=np.complex64))

with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
