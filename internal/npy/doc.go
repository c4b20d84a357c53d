// Package npy reads and writes NumPy .npy files.
//
// # Format
//
// A .npy file is the magic "\x93NUMPY", a major and minor version byte, a
// little-endian header length (uint16 for version 1.0, uint32 for 2.0 and
// 3.0), an ASCII (UTF-8 for 3.0) Python dict literal such as
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//
// padded with spaces and a newline, and then the raw array data.
//
// Read accepts versions 1.0, 2.0 and 3.0 with float32 ('<f4'), float64
// ('<f8'), float16 ('<f2', widened to float32, exactly) and integer data of
// any width, signed ('<i8', '<i4', '<i2', '|i1') or not ('<u8', '<u4',
// '<u2', '|u1') (labels come in whatever integer type a data pipeline left
// them), little- or big-endian ('>f4'), in C order or in Fortran order
// (np.asfortranarray, scipy.io.loadmat's arrays, a transpose): Array holds
// them as numpy.load gives them, in native byte order and C order. Write
// produces version 1.0 (2.0 only when the header would not fit), byte for
// byte what numpy.save writes for the same array, for every DType an Array
// holds (little-endian, C order).
//
// # Errors
//
// The header parser is strict: exactly the three keys, no other value types,
// nothing but padding after the dict, at most 64 dimensions (numpy's limit). Other dtypes (complex, bool, strings,
// objects, structured ones) are rejected with an error matching
// ErrUnsupported; every other problem matches ErrFormat. Errors are
// *FormatError values naming the file (when known), the byte offset and the
// reason.
//
// The data size a header claims is checked against the bytes that actually
// exist before (ReadFile) or while (Read) reading, so a lying header never
// causes a large allocation.
package npy
