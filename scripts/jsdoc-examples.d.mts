export interface JsdocExample {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}
export function extractExamples(root: string): JsdocExample[];
export function checkExamples(
  root: string,
  extra?: readonly JsdocExample[],
): { file: string; line: number; errors: string[] }[];
