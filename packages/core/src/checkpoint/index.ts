export { encodeCheckpoint, type EncodeOptions } from './encode.js';
export { decodeCheckpoint, toTensors } from './decode.js';
export { saveCheckpoint, loadCheckpoint } from './checkpoint.js';
export { writeFileAtomic } from './atomic-write.js';
export { MIGRATIONS, migrateHeader, type HeaderMigration } from './migrations.js';
export {
  CHECKPOINT_VERSION,
  CHECKPOINT_DTYPES,
  CheckpointError,
  type CheckpointDType,
  type CheckpointHeader,
  type CheckpointMeta,
  type CheckpointState,
  type CheckpointValues,
  type DecodedCheckpoint,
  type DecodedTensor,
  type TensorEntry,
} from './format.js';
