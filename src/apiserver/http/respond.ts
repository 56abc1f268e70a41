// Writing responses: objects as JSON or YAML, Status errors, Warning headers.
import type { ServerResponse } from 'node:http';
import { stringify as toYaml } from 'yaml';
import { ApiError } from '../../api/errors.js';

export type BodyFormat = 'json' | 'yaml';

/** RFC 7234 warning header values, as Kubernetes sends them (code 299, agent "-"). */
export function warningHeader(msg: string): string {
  return `299 - "${msg.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function sendObject(
  res: ServerResponse,
  code: number,
  body: unknown,
  format: BodyFormat = 'json',
  opts: { warnings?: string[]; contentType?: string } = {},
): void {
  const text = format === 'yaml' ? toYaml(body) : JSON.stringify(body);
  sendBody(res, code, text, opts.contentType ?? (format === 'yaml' ? 'application/yaml' : 'application/json'), opts.warnings);
}

/** An object already serialised as JSON. */
export function sendJson(res: ServerResponse, code: number, json: string, opts: { warnings?: string[]; contentType?: string } = {}): void {
  sendBody(res, code, json, opts.contentType ?? 'application/json', opts.warnings);
}

function sendBody(res: ServerResponse, code: number, text: string, contentType: string, warnings: string[] | undefined): void {
  const headers: Record<string, string | string[]> = {
    'Content-Type': contentType,
    'Cache-Control': 'no-cache, private',
    'Content-Length': String(Buffer.byteLength(text)),
  };
  if (warnings && warnings.length > 0) headers.Warning = warnings.map(warningHeader);
  res.writeHead(code, headers);
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError, format: BodyFormat = 'json'): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendObject(res, err.code, err.toStatus(), format, { warnings: err.warnings });
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}
