/** Run options that print nothing: no log lines, no progress bar. */
export const quiet = { log: () => undefined, progress: { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream };
