import { ValidationError, type ValidationIssue } from '../errors.js';

/**
 * The Standard Schema v1 protocol (standardschema.dev), implemented by zod, valibot, arktype and
 * others. Declared here as an interface so core needs no dependency for it.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

export type StandardResult<Output> =
  { readonly value: Output; readonly issues?: undefined } | { readonly issues: ReadonlyArray<StandardIssue> };

export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

export type InferOutput<S> = S extends StandardSchemaV1<unknown, infer O> ? O : never;

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return (
    typeof value === 'object' &&
    value !== null &&
    '~standard' in value &&
    typeof (value as { '~standard': { validate?: unknown } })['~standard'].validate === 'function'
  );
}

function issuesError(type: string, where: string, issues: ReadonlyArray<StandardIssue>): ValidationError {
  const mapped: ValidationIssue[] = issues.map((issue) => ({
    path: (issue.path ?? []).map((p) => (typeof p === 'object' ? p.key : p)),
    message: issue.message,
  }));
  const detail = mapped
    .map((i) => `${i.path.length === 0 ? '(data)' : i.path.map(String).join('.')}: ${i.message}`)
    .join('; ');
  return new ValidationError(
    `Invalid data for '${type}' at ${where}: ${detail}. Fix the data to match the schema declared with define*('${type}', schema).`,
    mapped,
  );
}

/** Validates synchronously; throws when the schema is asynchronous (use an awaited entry point). */
export function validateSync<O>(schema: StandardSchemaV1<unknown, O>, type: string, data: unknown, where: string): O {
  const result = schema['~standard'].validate(data);
  if (result instanceof Promise) {
    throw new ValidationError(
      `The schema of '${type}' validates asynchronously, so it cannot be checked by a synchronous ${where}. Use the awaited form (publish / send) instead.`,
      [],
      { code: 'ASYNC_SCHEMA' },
    );
  }
  if (result.issues !== undefined) throw issuesError(type, where, result.issues);
  return result.value;
}

/** Validates, awaiting asynchronous schemas. */
export async function validateAsync<O>(
  schema: StandardSchemaV1<unknown, O>,
  type: string,
  data: unknown,
  where: string,
): Promise<O> {
  const result = await schema['~standard'].validate(data);
  if (result.issues !== undefined) throw issuesError(type, where, result.issues);
  return result.value;
}
