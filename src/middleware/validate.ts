/** Request validation with zod, failing with the API's one error shape. */
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { ZodType, z } from "zod";
import { ApiError, invalidRequest } from "../errors";

/** Validates one part of the request before the handler runs. */
export function validate<Target extends keyof ValidationTargets, Schema extends ZodType>(
  target: Target,
  schema: Schema,
) {
  return zValidator(target, schema, (result) => {
    if (!result.success) throw invalidRequest(result.error, target);
  });
}

/**
 * Reads and validates a JSON body that may be absent altogether (`curl -X POST` with no data
 * means `{}`).
 */
export async function optionalJsonBody<T extends ZodType>(
  request: Request,
  schema: T,
): Promise<z.infer<T>> {
  const text = await request.text();
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError(400, "malformed_json", "request body is not valid JSON");
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequest(parsed.error, "body");
  return parsed.data;
}
