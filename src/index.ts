/// <reference types="node" preserve="true" />
/**
 * The package's entry point: `import { openLibrarySync } from 'library-sync'` (see src/api.ts).
 * The declarations use Node's types (Buffer, fs): the reference above brings them to an embedder's
 * type-check (they used to come in by accident, through pino's).
 */
export { openLibrarySync, createLogger } from './api.js';
export type { LibrarySync, LibrarySyncLogger, OpenOptions, SyncReport, PushReport, StatusReport, PushedCompany, CompanyReport, LibraryReport, StatusCompanyReport, StatusSkillReport, Config, RawConfig, RollbackResult, SnapshotInfo, ForgeSyncResult, IndexOutcome, FetchOutcome, ReportOutcome } from './api.js';
export { LibrarySyncError, UsageError, ConfigError, LockedError, LockLostError, RemoteError, RemoteDivergedError, StoreError, UnsafePathError, InterruptedError } from './errors.js';
export { RollbackRefusedError } from './snapshot/rollback.js';
export type { SkillState } from './merge/decide.js';
