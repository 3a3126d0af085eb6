/**
 * tfjs-core registers no gradients by itself (the `@tensorflow/tfjs` union package does).
 * Under vitest, vite inlines this ESM file of tfjs-core and the gradients register into the
 * shared global registry; plain Node cannot load it (extensionless ESM imports).
 */
export async function registerCoreGradientsForTests(): Promise<void> {
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js' as string);
}
