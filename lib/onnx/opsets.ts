// The ONNX opsets the exporter targets, and the IR version each needs (ONNX's
// versioning table). Every operator the exporter writes (Conv,
// BatchNormalization, Relu, MaxPool, GlobalAveragePool, GlobalMaxPool,
// Flatten, Gemm, Sigmoid, Mul, Add, Reshape) means the same in all of them.
export const IR_VERSION_OF_OPSET: Readonly<Record<number, number>> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

export const SUPPORTED_OPSETS: readonly number[] = Object.keys(IR_VERSION_OF_OPSET).map(Number);
