package infer

import (
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// opFunc runs one node; see the package documentation for its contract.
type opFunc func(c *ctx, in []*ir.Tensor) ([]*ir.Tensor, error)

// domains maps an opset domain ("" is ai.onnx) to the executor's op table.
// The op layer (ir/schema) says which opsets each op covers and checks
// arity and attributes; TestExecutorTable holds these tables to its list
// of what the executor supports.
var domains = map[string]map[string]opFunc{
	"":                       onnxOps,
	schema.BincompressDomain: bincompressOps,
	schema.QONNXDomain:       qonnxOps,
}

// onnxOps is the default-domain table.
var onnxOps = map[string]opFunc{
	"Add":                opAdd,
	"AveragePool":        opAveragePool,
	"BatchNormalization": opBatchNorm,
	"Cast":               opCast,
	"Clip":               opClip,
	"Concat":             opConcat,
	"Constant":           opConstant,
	"Conv":               opConv,
	"Div":                opDiv,
	"Dropout":            opDropout,
	"Flatten":            opView,
	"Gather":             opGather,
	"Gemm":               opGemm,
	"GlobalAveragePool":  opGlobalAveragePool,
	"GlobalMaxPool":      opGlobalMaxPool,
	"Identity":           opView,
	"LeakyRelu":          opLeakyRelu,
	"LogSoftmax":         opLogSoftmax,
	"MatMul":             opMatMul,
	"MaxPool":            opMaxPool,
	"Mul":                opMul,
	"Pad":                opPad,
	"ReduceMean":         opReduceMean,
	"Relu":               opRelu,
	"Reshape":            opView,
	"Shape":              opShape,
	"Sigmoid":            opSigmoid,
	"Floor":              opFloor,
	"Ceil":               opCeil,
	"Sqrt":               opSqrt,
	"Exp":                opExp,
	"Log":                opLog,
	"Tanh":               opTanh,
	"Softmax":            opSoftmax,
	"Squeeze":            opView,
	"Sub":                opSub,
	"Sum":                opSum,
	"Transpose":          opTranspose,
	"Unsqueeze":          opView,
}
