/** What an imported archive may expand to (SPEC.md, `library import`). Apart from import.ts so that the CLI can show them without loading node-tar. */
export const DEFAULT_ARCHIVE_LIMITS = { maxEntries: 200_000, maxBytes: 2 * 1024 ** 3 } as const;
