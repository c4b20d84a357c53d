package schema

import "github.com/bincompress/bincompress/ir"

// onnxOps is the default domain (ai.onnx). Since..Until are the opsets
// the op layer reads; stages are the stages that implement the op
// (docs/OPERATORS.md lists this table, TestOperatorsDoc holds them equal).
var onnxOps = map[string]*Op{
	// Convolution, pooling, normalization, dense.
	"Conv":               {Since: 1, Until: 21, In: arity(2, 3), Out: arity(1, 1), parse: parseConv, infer: inferConv, stages: ex | tr | td | cx | passes, limits: convLimits},
	"MaxPool":            {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1).from(8, 1, 2), parse: parseMaxPool, infer: inferPool, stages: ex | tr | td | cx | passes},
	"AveragePool":        {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseAveragePool, infer: inferPool, stages: ex | tr | td | cx | passes},
	"GlobalAveragePool":  {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferGlobalPool, stages: ex | tr | td | cx | passes},
	"GlobalMaxPool":      {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferGlobalPool, stages: ex | cx | passes},
	"BatchNormalization": {Since: 6, Until: 21, In: arity(5, 5), Out: arity(1, 5).from(14, 1, 3), parse: parseBatchNorm, infer: inferBatchNorm, stages: ex | tr | td | cx | passes, limits: bnLimits},
	"Gemm":               {Since: 6, Until: 21, In: arity(3, 3).from(11, 2, 3), Out: arity(1, 1), parse: parseGemm, infer: inferGemm, stages: ex | tr | td | cx | passes},
	"MatMul":             {Since: 1, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: none, infer: inferMatMul, stages: ex | tr | td | cx | passes},
	"Dropout":            {Since: 6, Until: 21, In: arity(1, 1).from(12, 1, 3), Out: arity(1, 2), parse: parseDropout, infer: inferDropout, stages: ex | tr | td | cx | passes, limits: dropoutLimits},
	"Softmax":            {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseSoftmax, infer: inferSoftmax, stages: ex | tr | cx | passes},
	"LogSoftmax":         {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseSoftmax, infer: inferSoftmax, stages: ex | cx | passes},

	// Element-wise activations and math.
	"Relu":            {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferUnary, stages: ex | tr | td | cx | passes},
	"LeakyRelu":       {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseAlpha(0.01), infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"Sigmoid":         {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"Tanh":            {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"Clip":            {Since: 6, Until: 21, In: arity(1, 1).from(11, 1, 3), Out: arity(1, 1), parse: parseClip, infer: inferUnary, stages: ex | tr | td | cx | passes},
	"Floor":           {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferFloatUnary, stages: ex | cx | passes},
	"Ceil":            {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferFloatUnary, stages: ex | cx | passes},
	"Sqrt":            {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"Exp":             {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"Log":             {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"Abs":             {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferUnary, stages: ex | cx | passes},
	"Neg":             {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferUnary, stages: ex | tr | cx | passes},
	"Reciprocal":      {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"Erf":             {Since: 9, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"Softplus":        {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"Softsign":        {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferFloatUnary, stages: ex | cx | passes},
	"Elu":             {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseAlpha(1), infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"Celu":            {Since: 12, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseAlpha(1), infer: inferFloatUnary, stages: ex | cx | passes},
	"ThresholdedRelu": {Since: 10, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseAlpha(1), infer: inferFloatUnary, stages: ex | cx | passes},
	"Selu":            {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseSelu, infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"HardSigmoid":     {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseHardSigmoid, infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"HardSwish":       {Since: 14, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"Mish":            {Since: 18, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferFloatUnary, stages: ex | cx | passes},
	"Gelu":            {Since: 20, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseGelu, infer: inferFloatUnary, stages: ex | tr | cx | passes},
	"PRelu":           {Since: 6, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: none, infer: inferPRelu, stages: ex | tr | cx | passes},
	"Not":             {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferLogical, stages: ex | passes},

	// Element-wise with broadcasting.
	"Add":            {Since: 6, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: parseArith, infer: inferArith('+'), stages: ex | tr | td | cx | passes},
	"Sub":            {Since: 6, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: parseArith, infer: inferArith('-'), stages: ex | tr | cx | passes},
	"Mul":            {Since: 6, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: parseArith, infer: inferArith('*'), stages: ex | tr | td | cx | passes},
	"Div":            {Since: 6, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: parseArith, infer: inferArith('/'), stages: ex | tr | cx | passes},
	"Pow":            {Since: 6, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: parseArith, infer: inferPow, stages: ex | tr | cx | passes},
	"Sum":            {Since: 6, Until: 21, In: arity(1, Variadic), Out: arity(1, 1), parse: none, infer: inferBroadcast(0), stages: ex | tr | td | passes},
	"Mean":           {Since: 6, Until: 21, In: arity(1, Variadic), Out: arity(1, 1), parse: none, infer: inferBroadcast(0), stages: ex | passes},
	"Max":            {Since: 6, Until: 21, In: arity(1, Variadic), Out: arity(1, 1), parse: none, infer: inferBroadcast(0), stages: ex | tr | cx | passes},
	"Min":            {Since: 6, Until: 21, In: arity(1, Variadic), Out: arity(1, 1), parse: none, infer: inferBroadcast(0), stages: ex | tr | cx | passes},
	"Equal":          {Since: 7, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: none, infer: inferBroadcast(boolType), stages: ex | passes},
	"Less":           {Since: 7, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: none, infer: inferBroadcast(boolType), stages: ex | passes},
	"LessOrEqual":    {Since: 12, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: none, infer: inferBroadcast(boolType), stages: ex | passes},
	"Greater":        {Since: 7, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: none, infer: inferBroadcast(boolType), stages: ex | passes},
	"GreaterOrEqual": {Since: 12, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: none, infer: inferBroadcast(boolType), stages: ex | passes},
	"And":            {Since: 7, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: none, infer: inferLogical, stages: ex | passes},
	"Or":             {Since: 7, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: none, infer: inferLogical, stages: ex | passes},
	"Xor":            {Since: 7, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: none, infer: inferLogical, stages: ex | passes},
	"Where":          {Since: 9, Until: 21, In: arity(3, 3), Out: arity(1, 1), parse: none, infer: inferWhere, stages: ex | tr | passes},

	// Reductions.
	"ReduceMean":      {Since: 1, Until: 21, In: arity(1, 1).from(18, 1, 2), Out: arity(1, 1), parse: parseReduce(18), infer: inferReduce(18), stages: ex | tr | cx | passes},
	"ReduceSum":       {Since: 1, Until: 21, In: arity(1, 1).from(13, 1, 2), Out: arity(1, 1), parse: parseReduce(13), infer: inferReduce(13), stages: ex | tr | cx | passes},
	"ReduceMax":       {Since: 1, Until: 21, In: arity(1, 1).from(18, 1, 2), Out: arity(1, 1), parse: parseReduce(18), infer: inferReduce(18), stages: ex | tr | cx | passes},
	"ReduceMin":       {Since: 1, Until: 21, In: arity(1, 1).from(18, 1, 2), Out: arity(1, 1), parse: parseReduce(18), infer: inferReduce(18), stages: ex | cx | passes},
	"ReduceProd":      {Since: 1, Until: 21, In: arity(1, 1).from(18, 1, 2), Out: arity(1, 1), parse: parseReduce(18), infer: inferReduce(18), stages: ex | cx | passes},
	"ReduceL1":        {Since: 1, Until: 21, In: arity(1, 1).from(18, 1, 2), Out: arity(1, 1), parse: parseReduce(18), infer: inferReduce(18), stages: ex | cx | passes},
	"ReduceL2":        {Since: 1, Until: 21, In: arity(1, 1).from(18, 1, 2), Out: arity(1, 1), parse: parseReduce(18), infer: inferReduce(18), stages: ex | cx | passes},
	"ReduceSumSquare": {Since: 1, Until: 21, In: arity(1, 1).from(18, 1, 2), Out: arity(1, 1), parse: parseReduce(18), infer: inferReduce(18), stages: ex | cx | passes},
	"ReduceLogSum":    {Since: 1, Until: 21, In: arity(1, 1).from(18, 1, 2), Out: arity(1, 1), parse: parseReduce(18), infer: inferReduce(18), stages: ex | passes},
	"ReduceLogSumExp": {Since: 1, Until: 21, In: arity(1, 1).from(18, 1, 2), Out: arity(1, 1), parse: parseReduce(18), infer: inferReduce(18), stages: ex | passes},
	"ArgMax":          {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseArgMax, infer: inferArgMax, stages: ex | passes},
	"ArgMin":          {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseArgMax, infer: inferArgMax, stages: ex | passes},

	// Shapes, layout and constants.
	"Identity":        {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferIdentity, stages: ex | tr | td | cx | passes},
	"Constant":        {Since: 1, Until: 21, In: arity(0, 0), Out: arity(1, 1), parse: parseConstant, infer: inferConstant, stages: ex | tr | td | passes},
	"Cast":            {Since: 6, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseCast, infer: inferCast, stages: ex | tr | td | passes, limits: castLimits},
	"Shape":           {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseShape, infer: inferShape, stages: ex | tr | td | passes},
	"Size":            {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: none, infer: inferSize, stages: ex | passes},
	"Reshape":         {Since: 5, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: parseReshape, infer: inferReshape, stages: ex | tr | td | cx | passes},
	"Flatten":         {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseFlatten, infer: inferFlatten, stages: ex | tr | td | cx | passes},
	"Squeeze":         {Since: 1, Until: 21, In: arity(1, 1).from(13, 1, 2), Out: arity(1, 1), parse: parseAxes(false, 13), infer: inferSqueeze, stages: ex | tr | td | cx | passes},
	"Unsqueeze":       {Since: 1, Until: 21, In: arity(1, 1).from(13, 2, 2), Out: arity(1, 1), parse: parseAxes(true, 13), infer: inferUnsqueeze, stages: ex | tr | td | cx | passes},
	"Transpose":       {Since: 1, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseTranspose, infer: inferTranspose, stages: ex | tr | cx | passes},
	"Concat":          {Since: 4, Until: 21, In: arity(1, Variadic), Out: arity(1, 1), parse: parseConcat, infer: inferConcat, stages: ex | tr | td | cx | passes, limits: concatLimits},
	"Gather":          {Since: 1, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: parseGather, infer: inferGather, stages: ex | tr | td | passes},
	"Pad":             {Since: 2, Until: 21, In: arity(1, 1).from(11, 2, 3).from(18, 2, 4), Out: arity(1, 1), parse: parsePad, infer: inferPad, stages: ex | tr | cx | passes},
	"Slice":           {Since: 1, Until: 21, In: arity(1, 1).from(10, 3, 5), Out: arity(1, 1), parse: parseSlice, infer: inferSlice, stages: ex | tr | cx | passes},
	"Split":           {Since: 2, Until: 21, In: arity(1, 1).from(13, 1, 2), Out: arity(1, Variadic), parse: parseSplit, infer: inferSplit, stages: ex | tr | passes},
	"Tile":            {Since: 6, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: none, infer: inferTile, stages: ex | cx | passes},
	"Expand":          {Since: 8, Until: 21, In: arity(2, 2), Out: arity(1, 1), parse: none, infer: inferExpand, stages: ex | tr | cx | passes},
	"ConstantOfShape": {Since: 9, Until: 21, In: arity(1, 1), Out: arity(1, 1), parse: parseConstantOfShape, infer: inferConstantOfShape, stages: ex | tr | passes},
	"Range":           {Since: 11, Until: 21, In: arity(3, 3), Out: arity(1, 1), parse: none, infer: inferRange, stages: ex | passes},
	"Resize":          {Since: 10, Until: 21, In: arity(2, 2).from(11, 3, 4).from(13, 1, 4), Out: arity(1, 1), parse: parseResize, infer: inferResize, stages: ex | passes, limits: resizeLimits},
}

// boolType is the result type of the comparisons.
const boolType = ir.Bool
