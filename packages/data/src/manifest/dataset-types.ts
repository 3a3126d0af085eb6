import type { Modality, ReasonCode } from '../decode/media-error.js';

export type DatasetFormat = 'jsonl' | 'csv' | 'folder';

/** One example of a user dataset: any subset of the modalities, paths already resolved and checked. */
export interface DatasetItem {
  id: string;
  /** Absolute paths inside the dataset's folder (symlinks kept as written, their targets checked). */
  image?: string;
  audio?: string;
  video?: string;
  /** One or more captions, none blank. */
  texts?: string[];
  label?: string;
  /** Where the item is defined: the manifest and the 1-based line its record starts on, or the image file of a folder dataset. */
  origin: { file: string; line?: number };
}

/**
 * One bad item (or manifest record, or stray caption file), as it appears in `data-report.json`.
 * `file` and `line` locate the definition (the manifest line, or the folder dataset's file);
 * `path` is the media file at fault when there is one.
 */
export interface BadItem {
  file: string;
  line?: number;
  id?: string;
  /** Absent for problems of the record itself (syntax, duplicate id). */
  modality?: Modality;
  path?: string;
  code: ReasonCode;
  reason: string;
}

export interface DatasetSource {
  /** The manifest file or the folder, absolute. */
  path: string;
  format: DatasetFormat;
  /** The folder every media path must stay inside. */
  root: string;
}

export interface ReadDatasetResult extends DatasetSource {
  /** Items whose fields and files passed every check, in manifest (or file name) order. */
  items: DatasetItem[];
  /** Everything refused while reading, in order; each bad record or file appears once. */
  bad: BadItem[];
}
