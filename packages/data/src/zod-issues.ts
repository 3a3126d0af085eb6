import type { z } from 'zod';

/** Zod issues as one line, each with its path: `styles.0: Invalid enum value. Expected 'google' | 'twitter', received 'apple'`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

export function parseOrThrow<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new TypeError(`Invalid ${what}: ${formatIssues(parsed.error)}`);
  return parsed.data;
}
