/** Registers the kernels wasm lacks for training; filled in by the wasm-kernels work. */
export function registerWasmTrainingKernels(): void {}
