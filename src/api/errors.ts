// One error catalogue: every failure the API reports is a metav1.Status with a
// stable reason, an HTTP code, and (for validation) the offending field paths.
import type { Status } from './types.js';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'Gone'
  | 'Expired'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'Timeout'
  | 'ServiceUnavailable'
  | 'InternalError';

/** A field-level problem, as in `details.causes[]`. `type` is Kubernetes' CauseType (e.g. FieldValueRequired). */
export interface FieldCause {
  type: string;
  field: string;
  message: string;
}

export class ApiError extends Error {
  /** Warning headers the failed request still carries (e.g. unknown fields under fieldValidation=Warn). */
  warnings: string[] = [];

  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: Status['details'],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

/** `kind` is the resource's plural lower-case name with group, e.g. { group: 'apps', kind: 'deployments' }. */
export interface ResourceRef {
  group: string;
  resource: string;
}

function qualified(r: ResourceRef): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

export const errors = {
  notFound(r: ResourceRef, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, { name, group: r.group, kind: r.resource });
  },
  alreadyExists(r: ResourceRef, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, { name, group: r.group, kind: r.resource });
  },
  conflict(r: ResourceRef, name: string, why: string): ApiError {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, {
      name,
      group: r.group,
      kind: r.resource,
    });
  },
  /** `kind` here is the Kind (e.g. "Pod"), as Kubernetes words Invalid errors. */
  invalid(group: string, kind: string, name: string, causes: FieldCause[]): ApiError {
    const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
    const msg = `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${causes.length > 1 ? '[' + list + ']' : list}`;
    return new ApiError(422, 'Invalid', msg, { name, group, kind, causes: causes.map((c) => ({ reason: c.type, message: c.message, field: c.field })) });
  },
  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },
  gone(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  unauthorized(): ApiError {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  methodNotAllowed(message: string): ApiError {
    return new ApiError(405, 'MethodNotAllowed', message);
  },
  notAcceptable(message: string): ApiError {
    return new ApiError(406, 'NotAcceptable', message);
  },
  unsupportedMediaType(type: string): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf; got ${type}`);
  },
  tooLarge(): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
  },
  internal(message: string, cause?: unknown): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, undefined, { cause });
  },
};

/** Field cause constructors named after Kubernetes' field.Error types. */
export const field = {
  required: (path: string, detail = 'Required value'): FieldCause => ({ type: 'FieldValueRequired', field: path, message: detail }),
  invalid: (path: string, value: unknown, detail: string): FieldCause => ({
    type: 'FieldValueInvalid',
    field: path,
    message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  }),
  notSupported: (path: string, value: unknown, valid: string[]): FieldCause => ({
    type: 'FieldValueNotSupported',
    field: path,
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${valid.map((v) => `"${v}"`).join(', ')}`,
  }),
  forbidden: (path: string, detail: string): FieldCause => ({ type: 'FieldValueForbidden', field: path, message: `Forbidden: ${detail}` }),
  duplicate: (path: string, value: unknown): FieldCause => ({ type: 'FieldValueDuplicate', field: path, message: `Duplicate value: ${JSON.stringify(value)}` }),
  tooLong: (path: string, value: unknown, max: number): FieldCause => ({
    type: 'FieldValueTooLong',
    field: path,
    message: `Too long: may not be more than ${max} bytes`,
  }),
  unknown: (path: string): FieldCause => ({ type: 'FieldValueInvalid', field: path, message: `unknown field "${path}"` }),
};
