/** What the bench's parent process asks a measuring child for, and what the child answers. */
export type ChildSpec =
  | { kind: 'split'; iterations: number; resultPath: string }
  | { kind: 'import'; filePath: string; databaseUrl: string | null; dataDirectory: string | null; resultPath: string; handOverCommittedEvents?: boolean }
  | { kind: 'copy'; databaseUrl: string; eventRowsPath: string; withIndexes: boolean; resultPath: string }
  | { kind: 'peer'; databaseUrl: string; sourceDatabaseUrl: string; resultPath: string }
  | { kind: 'replay'; databaseUrl: string; workers: number; resultPath: string }
  | { kind: 'verify'; databaseUrl: string; workers: number; resultPath: string }
  | { kind: 'export'; databaseUrl: string; name: string; to: string | null; resultPath: string }
  | { kind: 'sql-peer'; databaseUrl: string; mode: 'insert-loop' | 'transfer'; connections: number; durationSeconds: number; resultPath: string };

export type ChildResult = { elapsedSeconds: number; count: number; peakRssMebibytes: number; detail?: Record<string, unknown> };
