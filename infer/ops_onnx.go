package infer

import "github.com/bincompress/bincompress/ir"

// opFunc runs one node; see the package documentation for its contract.
type opFunc func(c *ctx, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error)

// opDef is one operator implementation: the opsets of its domain it covers
// (since..until inclusive), how many leading inputs must be present, and the
// function that runs it.
type opDef struct {
	since, until int64
	minIn        int
	run          opFunc
}

// domains maps an opset domain ("" is ai.onnx) to its op table.
var domains = map[string]map[string]opDef{
	"":               onnxOps,
	"ai.bincompress": bincompressOps,
	qonnxDomain:      qonnxOps,
}

// onnxOps is the default-domain table. docs/OPERATORS.md mirrors it.
var onnxOps = map[string]opDef{
	"Add":                {since: 6, until: 21, minIn: 2, run: opAdd},
	"AveragePool":        {since: 1, until: 21, minIn: 1, run: opAveragePool},
	"BatchNormalization": {since: 6, until: 21, minIn: 5, run: opBatchNorm},
	"Cast":               {since: 6, until: 21, minIn: 1, run: opCast},
	"Clip":               {since: 6, until: 21, minIn: 1, run: opClip},
	"Concat":             {since: 4, until: 21, minIn: 1, run: opConcat},
	"Constant":           {since: 1, until: 21, minIn: 0, run: opConstant},
	"Conv":               {since: 1, until: 21, minIn: 2, run: opConv},
	"Div":                {since: 6, until: 21, minIn: 2, run: opDiv},
	"Dropout":            {since: 6, until: 21, minIn: 1, run: opDropout},
	"Flatten":            {since: 1, until: 21, minIn: 1, run: opFlatten},
	"Gather":             {since: 1, until: 21, minIn: 2, run: opGather},
	"Gemm":               {since: 6, until: 21, minIn: 2, run: opGemm},
	"GlobalAveragePool":  {since: 1, until: 21, minIn: 1, run: opGlobalAveragePool},
	"GlobalMaxPool":      {since: 1, until: 21, minIn: 1, run: opGlobalMaxPool},
	"Identity":           {since: 1, until: 21, minIn: 1, run: opIdentity},
	"LeakyRelu":          {since: 6, until: 21, minIn: 1, run: opLeakyRelu},
	"LogSoftmax":         {since: 1, until: 21, minIn: 1, run: opLogSoftmax},
	"MatMul":             {since: 1, until: 21, minIn: 2, run: opMatMul},
	"MaxPool":            {since: 1, until: 21, minIn: 1, run: opMaxPool},
	"Mul":                {since: 6, until: 21, minIn: 2, run: opMul},
	"Pad":                {since: 2, until: 21, minIn: 1, run: opPad},
	"ReduceMean":         {since: 1, until: 21, minIn: 1, run: opReduceMean},
	"Relu":               {since: 6, until: 21, minIn: 1, run: opRelu},
	"Reshape":            {since: 5, until: 21, minIn: 2, run: opReshape},
	"Shape":              {since: 1, until: 21, minIn: 1, run: opShape},
	"Sigmoid":            {since: 6, until: 21, minIn: 1, run: opSigmoid},
	"Floor":              {since: 6, until: 21, minIn: 1, run: opFloor},
	"Ceil":               {since: 6, until: 21, minIn: 1, run: opCeil},
	"Sqrt":               {since: 6, until: 21, minIn: 1, run: opSqrt},
	"Exp":                {since: 6, until: 21, minIn: 1, run: opExp},
	"Log":                {since: 6, until: 21, minIn: 1, run: opLog},
	"Tanh":               {since: 6, until: 21, minIn: 1, run: opTanh},
	"Softmax":            {since: 1, until: 21, minIn: 1, run: opSoftmax},
	"Squeeze":            {since: 1, until: 21, minIn: 1, run: opSqueeze},
	"Sub":                {since: 6, until: 21, minIn: 2, run: opSub},
	"Sum":                {since: 6, until: 21, minIn: 1, run: opSum},
	"Transpose":          {since: 1, until: 21, minIn: 1, run: opTranspose},
	"Unsqueeze":          {since: 1, until: 21, minIn: 1, run: opUnsqueeze},
}
