/**
 * What the lower layers are given instead of the whole Config: each its own
 * slice, built once per command by the engine (src/engine.ts), so a reader
 * sees at a glance what a layer depends on (README, "Layout").
 *   scan/, apply/, company.ts   ScanPolicy: how a folder is read and written
 *   library/                    LibraryPolicy: where the library is and how it is judged
 *   merge/ (through pipeline/)  PlanPolicy: how overrides are merged, the mass-deletion limit
 *   discover/                   IndexPolicy: where the index is, which ref is the library
 */
import type { Config } from './config.js';
import { LIBRARY_REF } from './refs.js';
import { ignoreRulesOf, type IgnoreMatcher } from './scan/ignore.js';

export interface ScanPolicy {
  maxFileBytes: number;
  /** The ignore rules in force (defaults, the library's .gitignore, config `ignore`). */
  ignore: IgnoreMatcher;
  /** A company folder, or a path component below a glob's `*`, may be a symlink (config `allowSymlinkedCompanies`). */
  allowSymlinkedCompanies: boolean;
  /** The config file, for messages that name it. */
  configFile: string;
}

export type LibraryPolicy = Pick<Config, 'libraryDir' | 'libraryRef' | 'libraryUrl' | 'maxFileBytes' | 'strictValidation'> & { ignore: IgnoreMatcher };

export type PlanPolicy = Pick<Config, 'merge' | 'maxRemovePercent'>;

export interface IndexPolicy {
  file: string;
  /** The ref the library is recorded on. */
  libraryRef: string;
}

export interface Policies {
  scan: ScanPolicy;
  library: LibraryPolicy;
  plan: PlanPolicy;
  index: IndexPolicy;
}

export function policiesOf(config: Config): Policies {
  const ignore = ignoreRulesOf(config);
  const { libraryDir, libraryRef, libraryUrl, maxFileBytes, strictValidation, merge, maxRemovePercent } = config;
  return {
    scan: { maxFileBytes, ignore, allowSymlinkedCompanies: config.allowSymlinkedCompanies, configFile: config.file },
    library: { libraryDir, libraryRef, libraryUrl, maxFileBytes, strictValidation, ignore },
    plan: { merge, maxRemovePercent },
    index: { file: config.indexFile, libraryRef: libraryRef ?? LIBRARY_REF },
  };
}
