/** What an acknowledged append survives at each `synchronous` setting (for `store.info()`). */
export const DURABILITY = {
  normal:
    'SQLite WAL, synchronous=NORMAL: an acknowledged append survives a crash of the process; an OS crash or power loss may lose the last commits but never corrupts the file or tears an append.',
  full: 'SQLite WAL, synchronous=FULL: an acknowledged append is fsynced to the WAL before it is acknowledged, so it survives an OS crash or power loss too.',
} as const;
